"""Fixtures: the real cirr-init binary in a private folder (tests.support.
cirr_init.Box), as PID 1 of a new PID namespace or as a child subreaper.

Every test that takes `box` runs twice: with the static musl build and with
the ASan/UBSan build (any sanitizer report makes the test fail)."""
import pytest

from tests.support.cirr_init import INIT, INIT_ASAN, Box


@pytest.fixture(params=["static", "asan"])
def init_bin(request):
    return INIT if request.param == "static" else INIT_ASAN


@pytest.fixture
def box(tmp_path, init_bin):
    return Box(tmp_path, init_bin)
