"""Loopback ports for the servers the tests and benchmarks start.

Ports come from below the kernel's ephemeral range: a port picked inside
it (bind to port 0) can be taken, before the server binds it, by any
outgoing connection's local end (a readiness probe, a peer's C-STORE),
and the server then fails with "address already in use". Each pytest-xdist
worker takes its own slice, so two workers never hand out the same port."""
import os
import random
import socket
import time

_LOW = 10000
_SLICE = 2500


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _slice():
    """This process's [first, end) ports: its xdist worker's slice."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    slices = max(1, (_ephemeral_low() - _LOW) // _SLICE)
    first = _LOW + (index % slices) * _SLICE
    return first, first + _SLICE


_FIRST, _END = _slice()
_next = _FIRST + random.randrange(_SLICE)


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now and that no
    outgoing connection will take; a different one on each call."""
    global _next
    for _ in range(_SLICE):
        port, _next = _next, _next + 1 if _next + 1 < _END else _FIRST
        if _bindable(port):
            return port
    raise AssertionError(f"no free port in {_FIRST}-{_END - 1}")


def wait_port(port, timeout=15):
    """Returns once something accepts connections on port; fails the test
    after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")
