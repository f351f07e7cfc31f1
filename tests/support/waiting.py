"""Waiting for a condition, with a deadline that fails the test."""
import time


def wait_for(predicate, timeout=10, what="condition", every=0.02):
    """Polls predicate every `every` seconds until it is true; fails the
    test after timeout seconds, naming what it waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
