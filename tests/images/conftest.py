"""Docker fixtures for the image tests: the images built by `make images`
are loaded once; every container, network and volume a test makes is
removed afterwards, also when the test fails."""
import os

import pytest

from tests.support.containers import IMAGES, Containers, docker


@pytest.fixture(scope="session", autouse=True)
def loaded_images():
    r = docker("info", check=False)
    assert r.returncode == 0, "no Docker engine answers: run ci/bootstrap (it starts dockerd)"
    for name in ("postgres", "orthanc", "mockpacs", "mux"):
        docker("load", "-i", os.path.join(IMAGES, f"{name}.tar"), timeout=300)


@pytest.fixture
def dk():
    d = Containers()
    yield d
    d.cleanup()
