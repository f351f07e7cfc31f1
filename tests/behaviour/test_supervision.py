"""Service files, one-shot tasks, restart policies and backoff, shutdown
order, stop-timeout escalation, and waiting for orphans (points 2, 3, 6)."""
import os
import signal
import time

import pytest

from tests.support.cirr_init import PY
from tests.support.waiting import wait_for


def services(box, text):
    return box.file("services", text)


@pytest.mark.parametrize("first_exit, ran", [(0, ["first", "second", "main"]), (3, ["first"])],
                         ids=["tasks-succeed", "first-task-fails"])
def test_tasks_run_in_order_before_services_and_a_failing_one_aborts_start_up(box, first_exit, ran):
    log = box.path / "order"
    f = services(box, f"""
[task first]
command = sh -c "echo first >> {log}; exit {first_exit}"
[task second]
command = sh -c "echo second >> {log}"
[service main]
command = sh -c "echo main >> {log}"
restart = never
""")
    r = box.run("-f", str(f))
    assert r.returncode == first_exit, r.stderr()  # a failed task's status is cirr-init's
    assert log.read_text().split() == ran
    aborted = f"task failed with status {first_exit}; start-up aborted" in r.stderr()
    assert aborted == (first_exit != 0)


def test_malformed_service_file_stops_before_anything_starts(box):
    marker = box.path / "started"
    f = services(box, f"""
[service ok]
command = touch {marker}
[service bad]
command = true
colour = blue
""")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    lines = r.stderr().strip().splitlines()
    assert lines == [f"cirr-init: fatal: {f}:6: unknown key 'colour' for a service"]
    assert not marker.exists()


def test_unknown_probe_kind_is_one_line(box):
    f = services(box, "[probe p]\nkind = ftp\n[service s]\ncommand = true\n")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip().endswith(f"{f}:2: unknown probe kind 'ftp' (expected http, https, postgres, tcp or exec)")


def starts(path):
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def test_restart_backoff_doubles_then_gives_up(box):
    log = box.path / "starts"
    f = services(box, f"""
[service flaky]
command = sh -c "date +%s.%N >> {log}; exit 4"
restart = on-failure
backoff = 200ms
backoff-max = 500ms
stable-after = 10s
max-fast-failures = 5
""")
    r = box.run("-f", str(f), timeout=30)
    assert r.returncode == 4  # the service's last status
    t = starts(log)
    assert len(t) == 5
    gaps = [b - a for a, b in zip(t, t[1:])]
    # 200, 400, then capped at 500 ms (lower bounds only: a busy machine is slower)
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39 and gaps[2] >= 0.49 and gaps[3] >= 0.49, gaps
    assert gaps[2] < gaps[1] * 2, gaps  # the cap holds
    assert "giving up" in r.stderr()


def test_backoff_resets_after_a_stable_run(box):
    log = box.path / "starts"
    f = services(box, f"""
[service steady]
command = sh -c "date +%s.%N >> {log}; sleep 0.3; exit 1"
restart = always
backoff = 100ms
backoff-max = 5s
stable-after = 200ms
max-fast-failures = 2
""")
    r = box.start("-f", str(f))
    wait_for(lambda: len(starts(log)) >= 5, timeout=20, what="five starts")
    r.signal(signal.SIGTERM)
    r.wait()
    t = starts(log)
    gaps = [b - a for a, b in zip(t, t[1:])]
    # each run was stable, so every delay is the base 100 ms (run 0.3 s + 0.1 s)
    assert all(g < 0.3 + 0.1 + 0.35 for g in gaps), gaps
    assert "giving up" not in r.stderr()


def test_on_failure_does_not_restart_success_and_never_does_not_restart(box):
    log = box.path / "runs"
    f = services(box, f"""
[service main]
command = sh -c "sleep 1.5"
restart = never
[service ok]
command = sh -c "echo ok >> {log}; exit 0"
restart = on-failure
backoff = 50ms
[service once]
command = sh -c "echo once >> {log}; exit 2"
restart = never
""")
    r = box.run("-f", str(f))
    assert r.returncode == 0
    assert sorted(log.read_text().split()) == ["ok", "once"]


def test_main_exit_stops_the_others_and_sets_the_status(box):
    f = services(box, """
[service web]
command = sleep 60
[service main]
command = sh -c "sleep 0.3; exit 9"
main = yes
restart = never
""")
    t0 = time.monotonic()
    r = box.run("-f", str(f))
    assert r.returncode == 9
    assert time.monotonic() - t0 < 8


STOPPER = r"""
import signal, sys, time
name, log, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
def stop(*a):
    with open(log, "a") as f:
        f.write(f"begin {name}\n")
    time.sleep(delay)
    with open(log, "a") as f:
        f.write(f"end {name}\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(log + "." + name, "w").close()
while True:
    time.sleep(0.05)
"""


def test_shutdown_in_reverse_dependency_order(box):
    log = box.path / "stops"
    s = box.file("stopper.py", STOPPER)
    f = services(box, f"""
[service db]
command = {PY} {s} db {log} 0.2
[service app]
command = {PY} {s} app {log} 0.2
after = db
stop-signal = INT
[service web]
command = {PY} {s} web {log} 0.2
after = app
""")
    r = box.start("-f", str(f))
    wait_for(lambda: all(os.path.exists(f"{log}.{n}") for n in ("db", "app", "web")))
    r.signal(signal.SIGTERM)
    r.wait()
    assert log.read_text().split("\n")[:-1] == ["begin web", "end web", "begin app", "end app",
                                                "begin db", "end db"]


def test_stop_timeout_escalates_to_sigkill(box):
    f = services(box, f"""
[service stubborn]
command = {PY} -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); open('up', 'w').close(); time.sleep(60)"
stop-timeout = 500ms
""")
    r = box.start("-f", str(f))
    wait_for(lambda: (box.path / "up").exists())
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    assert r.wait() == 128 + signal.SIGKILL
    assert 0.45 <= time.monotonic() - t0 < 5
    assert "did not stop within 0.5s; sending SIGKILL" in r.stderr()


ORPHAN = r"""
import os, signal, sys, time
if os.fork() == 0:
    os.setsid()                       # leave the service's process group
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(1.0)                   # still writing when the service is gone
    with open(sys.argv[1], "w") as f:
        f.write("complete\n")
        f.flush()
        os.fsync(f.fileno())
    os._exit(0)
time.sleep(0.2)
"""


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "subreaper"])
def test_shutdown_waits_for_orphans(box, pid1):
    out = box.path / "orphan-output"
    script = box.file("orphan.py", ORPHAN)
    r = box.run("--orphan-grace", "5s", "--", PY, str(script), str(out), pid1=pid1)
    assert r.returncode == 0
    # cirr-init exited only after the orphan finished its write
    assert out.read_text() == "complete\n"


def test_orphans_are_killed_after_the_grace_period(box):
    script = box.file("orphan.py", ORPHAN.replace("time.sleep(1.0)", "time.sleep(30)"))
    t0 = time.monotonic()
    r = box.run("--orphan-grace", "300ms", "--", PY, str(script), str(box.path / "never"))
    assert r.returncode == 0
    assert time.monotonic() - t0 < 5
    assert not (box.path / "never").exists()
