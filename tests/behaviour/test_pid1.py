"""PID 1 duties: exit statuses, reaping, signal forwarding (issue point 1)."""
import os
import signal

import pytest

from tests.support.cirr_init import PY, Box
from tests.support.waiting import wait_for


def test_passes_every_exit_status_through(tmp_path, init_bin):
    # One namespace per status would take minutes; a service file of 256
    # one-shot tasks would stop at the first failure. So: runs as
    # subreaper for speed, eight at a time, each in a box of its own (the
    # ASan build's start-up is most of the time), and a sample of them as
    # PID 1 below.
    boxes = []
    for i in range(8):
        (tmp_path / str(i)).mkdir()
        boxes.append(Box(tmp_path / str(i), init_bin))
    for first in range(0, 256, len(boxes)):
        runs = [(code, b, b.start("--", "sh", "-c", f"exit {code}", pid1=False))
                for code, b in zip(range(first, first + len(boxes)), boxes)]
        for code, b, r in runs:
            assert r.wait() == code, (code, r.stderr())


@pytest.mark.parametrize("code", [0, 1, 2, 99, 100, 127, 128, 200, 255])
def test_exit_status_as_pid1(box, code):
    assert box.run("--", "sh", "-c", f"exit {code}").returncode == code


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGABRT,
                                 signal.SIGKILL, signal.SIGUSR1, signal.SIGSEGV, signal.SIGTERM])
def test_death_by_signal_is_128_plus_n(box, sig):
    reset = "" if sig == signal.SIGKILL else f"signal.signal({int(sig)}, signal.SIG_DFL); "
    r = box.run("--", PY, "-c", f"import os, signal; {reset}os.kill(os.getpid(), {int(sig)})")
    assert r.returncode == 128 + sig


def test_command_not_found_is_127(box):
    r = box.run("--", "/no/such/program")
    assert r.returncode == 127
    assert "unable to exec /no/such/program: No such file or directory" in r.stderr()


def test_not_executable_is_126(box):
    f = box.file("data.txt", "not a program\n", 0o644)
    r = box.run("--", str(f))
    assert r.returncode == 126
    assert "Permission denied" in r.stderr()


ORPHANS = r"""
import os, sys, time
me = os.getpid()
for i in range(int(sys.argv[1])):
    if os.fork() == 0:          # child: fork a grandchild, then exit at once
        if os.fork() == 0:
            time.sleep(0.05)     # grandchild: re-parented to init, then exits
            os._exit(0)
        os._exit(0)
    os.waitpid(-1, 0)
time.sleep(1.0)
# count zombies whose parent is our parent (cirr-init)
init = os.getppid()
zombies = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        st = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    fields = st[st.rindex(")") + 2:].split()
    if fields[0] == "Z" and int(fields[1]) == init:
        zombies += 1
print("zombies", zombies, flush=True)
"""


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "subreaper"])
def test_orphan_storm_leaves_no_zombie(box, pid1):
    script = box.file("orphans.py", ORPHANS)
    r = box.run("--", PY, str(script), "150", pid1=pid1, timeout=60)
    assert r.returncode == 0, r.stderr()
    assert "zombies 0" in r.stdout()


SIGNALS = r"""
import os, signal, sys, time
log = sys.argv[1]
names = ["HUP", "USR1", "USR2", "WINCH", "TERM"]
def handler(sig, frame):
    with open(log, "a") as f:
        f.write(f"{role} {signal.Signals(sig).name}\n")
    if sig == signal.SIGTERM:
        os._exit(0)
role = "parent"
child = os.fork()
if child == 0:
    role = "child"
for n in names:
    signal.signal(getattr(signal, "SIG" + n), handler)
open(log + "." + role, "w").close()
while True:
    time.sleep(0.05)
"""


@pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "subreaper"])
def test_signals_reach_the_whole_process_group(box, pid1):
    log = box.path / "signals.log"
    script = box.file("sig.py", SIGNALS)
    r = box.start("--", PY, str(script), str(log), pid1=pid1)
    wait_for(lambda: os.path.exists(f"{log}.parent") and os.path.exists(f"{log}.child"),
             what="handlers installed")
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH):
        r.signal(sig)
        name = sig.name[3:]
        wait_for(lambda: log.exists() and f"parent SIG{name}" in log.read_text()
                 and f"child SIG{name}" in log.read_text(), what=f"{name} delivered")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0
    text = log.read_text()
    assert "parent SIGTERM" in text and "child SIGTERM" in text


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGQUIT])
def test_int_and_quit_are_forwarded_as_such(box, sig):
    r = box.start("--", PY, "-c",
                  "import signal, sys, time\n"
                  f"signal.signal({int(sig)}, lambda *a: sys.exit(42))\n"
                  "open('ready', 'w').close()\n"
                  "time.sleep(30)\n")
    wait_for(lambda: (box.path / "ready").exists())
    r.signal(sig)
    assert r.wait() == 42
