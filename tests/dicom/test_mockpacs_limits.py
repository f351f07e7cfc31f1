"""mockpacs's limits against hostile peers are the operator's to set, as
mux's are (MOCK_IDLE_TIMEOUT, MOCK_REQUEST_TIMEOUT, MOCK_MESSAGE_TIMEOUT,
MOCK_MAX_NESTING: the same defaults, ranges and checks, from one table
fragment, lib/dicom/cirr_dicom_scp_env.h)."""
import socket
import subprocess
import time

import pytest

from tests.dicom.test_hostile_peers import (ECHO_CLASS, IMPLICIT, associate, associate_rq, instance, p_data,
                                            store)
from tests.support.mockpacs import MOCKPACS


def closed_within(s, limit):
    """Seconds until the SCP closes (or aborts) s without this peer's help;
    fails past limit."""
    s.settimeout(limit)
    started = time.monotonic()
    try:
        while True:
            data = s.recv(4096)
            if not data or data[:1] == b"\x07":  # closed, or A-ABORT
                return time.monotonic() - started
    except socket.timeout:
        pytest.fail(f"still open after {limit} s")
    finally:
        s.close()


def test_max_nesting_and_idle_timeout_come_from_the_environment(mock):
    m = mock(MOCK_MAX_NESTING=4, MOCK_IDLE_TIMEOUT=2)
    shallow, deep = "1.2.826.0.1.3680043.9.7777.51", "1.2.826.0.1.3680043.9.7777.52"
    assert store(m.port, shallow, instance(shallow, 4)) == 0
    status = store(m.port, deep, instance(deep, 5))
    assert status & 0xF000 == 0xC000, hex(status)  # one deeper than the operator allows
    s, _ = associate(m.port, [(1, ECHO_CLASS, [IMPLICIT])])
    assert closed_within(s, 60) < 30  # silent: closed by mockpacs after MOCK_IDLE_TIMEOUT, not 300 s


def test_request_timeout_comes_from_the_environment(mock):
    m = mock(MOCK_REQUEST_TIMEOUT=2)
    s = socket.create_connection(("127.0.0.1", m.port), timeout=30)
    s.sendall(associate_rq("SLOW", "MOCK", [(1, ECHO_CLASS, [IMPLICIT])])[:40])  # then silence
    assert closed_within(s, 30) < 8  # the default would be 10 s


def test_message_timeout_comes_from_the_environment(mock):
    m = mock(MOCK_MESSAGE_TIMEOUT=2)
    s, _ = associate(m.port, [(1, ECHO_CLASS, [IMPLICIT])])
    s.sendall(p_data(1, b"\0" * 64, True, True)[:20])  # a message begun, then silence
    assert closed_within(s, 60) < 15  # the default would be 30 s


@pytest.mark.parametrize("name,value", [("MOCK_IDLE_TIMEOUT", "0"), ("MOCK_REQUEST_TIMEOUT", "3601"),
                                        ("MOCK_MESSAGE_TIMEOUT", "x"), ("MOCK_MAX_NESTING", "0")])
def test_a_bad_limit_stops_mockpacs_naming_it(tmp_path, name, value):
    r = subprocess.run([MOCKPACS], env={"PATH": "/usr/bin:/bin", "MOCK_STORE_DIR": str(tmp_path / "store"),
                                        "MOCK_HTTP_PORT": "0", name: value},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100 and name in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
