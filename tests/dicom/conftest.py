"""Fixtures for mockpacs and mux against real DICOM peers on loopback:
DCMTK's tools, GDCM's gdcmscu, Debian's Orthanc, dicom3tools and pydicom.
Each fixture hands the test a function that starts one more server (its
arguments are those of the class in tests.support, without tmp); all it
started is stopped after the test, and a mockpacs or mux must then have
exited cleanly, with no ASan/UBSan report."""
import functools

import pytest

from tests.support.dcmtk import Storescp
from tests.support.mockpacs import Mock
from tests.support.mux import Mux
from tests.support.orthanc import Orthanc
from tests.support.processes import assert_no_sanitizer_report


def each_started(make, check=None):
    """A fixture's body: yields start, which calls make and remembers what
    it made; after the test, stops them all, then check(each one)."""
    started = []

    def start(*args, **kw):
        started.append(make(*args, **kw))
        return started[-1]

    yield start
    for p in started:
        p.stop()
    for p in started:
        if check:
            check(p)


def stopped_cleanly(p):
    rc = p.proc.returncode
    assert rc == 0 or getattr(p, "killed", False), f"{p.proc.args[-1]} exit status {rc}: {p.text()[-2000:]}"
    assert_no_sanitizer_report(p.text())


@pytest.fixture
def mock(tmp_path):
    yield from each_started(functools.partial(Mock, tmp_path), stopped_cleanly)


@pytest.fixture
def mux(tmp_path):
    yield from each_started(functools.partial(Mux, tmp_path), stopped_cleanly)


@pytest.fixture
def storescp(tmp_path):
    yield from each_started(functools.partial(Storescp, tmp_path))


@pytest.fixture
def orthanc(tmp_path):
    yield from each_started(functools.partial(Orthanc, tmp_path))
