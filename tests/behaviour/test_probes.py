"""Dependencies and readiness: services wait for probes against real
peers (PostgreSQL, HTTP, HTTPS, TCP, exec), with deadlines and hard
timeouts (point 4)."""
import signal
import time

import pytest

from tests.support.cirr_init import flag_probe
from tests.support.http_double import HttpDouble, make_cert
from tests.support.ports import free_port
from tests.support.postgres import Postgres
from tests.support.waiting import wait_for


@pytest.fixture(scope="module")
def postgres():
    pg = Postgres()
    yield pg
    pg.destroy()


def login_probe(postgres, password_env):
    """A probe section, db, that logs in to postgres as its superuser (the
    password from password_env) and runs a query."""
    return ("[probe db]\nkind = postgres\n"
            f"conninfo = host=127.0.0.1 port={postgres.port} user=postgres dbname=postgres\n"
            f"query = yes\npassword-env = {password_env}\n")


def status_text(box):
    p = box.rundir / "status"
    return p.read_text() if p.exists() else ""


def test_waits_for_postgres_login_then_starts(box, postgres):
    marker = box.path / "started"
    f = box.file("services", login_probe(postgres, "POSTGRES_PASSWORD") + f"""timeout = 3s
interval = 10s
[service app]
command = sh -c "touch {marker}; sleep 60"
wait = db
""")
    r = box.start("-f", str(f), env={"POSTGRES_PASSWORD": Postgres.PASSWORD})
    wait_for(lambda: "waiting for probe db" in r.stderr(), what="waiting log line")
    time.sleep(1.5)
    assert not marker.exists()          # nothing starts before the database answers
    postgres.start()
    try:
        wait_for(lambda: marker.exists(), timeout=20, what="service start after postgres")
        r.signal(signal.SIGTERM)
        r.wait()
    finally:
        postgres.stop()
    assert "probe db: passing" in r.stderr()
    assert Postgres.PASSWORD not in r.stderr()


def test_postgres_wrong_password_is_reported_without_the_secret(box, postgres):
    f = box.file("services", login_probe(postgres, "DB_PASSWORD") + """
[service app]
command = sleep 60
wait = db
wait-timeout = 2s
""")
    postgres.start()
    try:
        r = box.run("-f", str(f), "-vv", env={"DB_PASSWORD": "Wrong-Pass-77"})
    finally:
        postgres.stop()
    assert r.returncode == 99
    assert "password authentication failed" in r.stderr()
    assert "gave up after 2.0s waiting for probe db" in r.stderr()
    assert "Wrong-Pass-77" not in r.stderr() + r.stdout()


def test_postgres_ping_without_login(box, postgres):
    f = box.file("services", f"""
[probe db]
kind = postgres
conninfo = host=127.0.0.1 port={postgres.port} user=nobody dbname=none
[service app]
command = sh -c "exit 0"
restart = never
wait = db
wait-timeout = 10s
""")
    postgres.start()
    try:
        r = box.run("-f", str(f))
    finally:
        postgres.stop()
    assert r.returncode == 0, r.stderr()  # the server answers: healthy without logging in


def test_waits_for_http_with_basic_auth_from_env(box):
    srv = HttpDouble()
    srv.code = 503
    srv.auth = ("admin", "h77p-pass")
    marker = box.path / "started"
    f = box.file("services", f"""
[probe api]
kind = http
url = http://127.0.0.1:{srv.port}/system
password-env = API_PASSWORD
interval = 200ms
[service app]
command = sh -c "touch {marker}; sleep 60"
wait = api
""")
    try:
        r = box.start("-f", str(f), env={"API_PASSWORD": "h77p-pass"})
        wait_for(lambda: srv.requests >= 2, what="probe requests")
        assert not marker.exists()
        srv.code = 200
        wait_for(lambda: marker.exists(), what="start after HTTP 200")
        r.signal(signal.SIGTERM)
        r.wait()
    finally:
        srv.close()
    assert "probe api: failing: HTTP 503 (expected 200)" in r.stderr()


def test_https_verifies_certificates_by_default(box):
    cert, key = make_cert(str(box.path))
    srv = HttpDouble(tls=(cert, key))
    f = box.file("services", f"""
[probe strict]
kind = https
url = https://localhost:{srv.port}/
interval = 200ms
[probe pinned]
kind = https
url = https://localhost:{srv.port}/
ca = {cert}
interval = 200ms
[service app]
command = sleep 60
ready = pinned
health = pinned, strict
""")
    try:
        r = box.start("-f", str(f))
        wait_for(lambda: "probe strict pass" in status_text(box) or
                 "probe strict fail" in status_text(box), what="strict probe result")
        wait_for(lambda: "probe pinned pass" in status_text(box), what="pinned probe pass")
        text = status_text(box)
        h = box.health()
        r.signal(signal.SIGTERM)
        r.wait()
    finally:
        srv.close()
    assert "probe strict fail" in text  # self-signed: rejected against the CA bundle
    assert h.returncode == 1 and "probe strict failing" in h.stdout


def test_tcp_probe_deadline_exits_99(box):
    port = free_port()
    f = box.file("services", f"""
[probe closed]
kind = tcp
address = 127.0.0.1:{port}
interval = 200ms
[service app]
command = sleep 60
wait = closed
wait-timeout = 1s
""")
    t0 = time.monotonic()
    r = box.run("-f", str(f))
    assert r.returncode == 99
    assert time.monotonic() - t0 < 6
    assert "waiting for probe closed (up to 1.0s)" in r.stderr()
    assert "Connection refused" in r.stderr()


def test_hanging_probe_is_killed_and_signals_still_work(box):
    f = box.file("services", """
[probe hang]
kind = exec
command = sleep 100
timeout = 300ms
interval = 200ms
[service app]
command = sleep 60
wait = hang
wait-timeout = 60s
""")
    r = box.start("-f", str(f))
    wait_for(lambda: "probe hang fail timed out after 0.3s" in status_text(box),
             what="probe timeout recorded")
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    r.wait()
    assert time.monotonic() - t0 < 3
    # every killed probe was reaped: no sleep left behind
    assert "orphaned" not in r.stderr()


def test_exec_probe_reason_is_its_output(box):
    f = box.file("services", """
[probe check]
kind = exec
command = sh -c "echo disk almost full; exit 1"
[service app]
command = sleep 60
ready = check
""")
    r = box.start("-f", str(f))
    wait_for(lambda: "probe check fail disk almost full" in status_text(box))
    r.signal(signal.SIGTERM)
    r.wait()


def test_service_waits_for_another_service_to_be_ready(box):
    flag = box.path / "flag"
    order = box.path / "order"
    f = box.file("services", flag_probe("flagged", flag) + f"""
[service db]
command = sh -c "echo db >> {order}; sleep 60"
ready = flagged
[service app]
command = sh -c "echo app >> {order}; sleep 60"
after = db
""")
    r = box.start("-f", str(f))
    wait_for(lambda: order.exists())
    time.sleep(0.8)
    assert order.read_text().split() == ["db"]
    flag.touch()
    wait_for(lambda: order.read_text().split() == ["db", "app"], what="app after db ready")
    r.signal(signal.SIGTERM)
    r.wait()
