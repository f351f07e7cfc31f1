"""DCMTK's command line tools as test peers, with TCP_NODELAY (Nagle's
algorithm on loopback makes DICOM crawl): storescp as a destination, the
SCUs, and reading their answers."""
import os
import subprocess
import time

from tests.support.ports import free_port
from tests.support.processes import Process

NODELAY = dict(os.environ, TCP_NODELAY="1")


class Storescp(Process):
    """A storescp writing what it receives into .dir. port: a given one (a
    destination that comes back), else a free one; options: more storescp
    options (e.g. +xi: implicit VR little endian only)."""

    def __init__(self, tmp, aet="WS", port=None, options=()):
        self.port = port or free_port()
        self.dir = tmp / f"{aet}-{self.port}"
        self.dir.mkdir()
        super().__init__(["storescp", *options, "-aet", aet, "--output-directory", str(self.dir), str(self.port)],
                         NODELAY, str(tmp / f"storescp-{self.port}.log"))
        self.wait_listening()


def dcmtk(*args, check=True, timeout=120):
    r = subprocess.run(list(args), env=NODELAY, capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def find(mock, level, *keys, root="-S"):
    """findscu against a mockpacs (AE title MOCK) at level; the answers as
    a list of {keyword: value} dicts."""
    r = dcmtk("findscu", root, "-aec", "MOCK", "-k", f"QueryRetrieveLevel={level}",
              *[a for k in keys for a in ("-k", k)], "127.0.0.1", str(mock.port))
    answers, cur = [], None
    for line in r.stderr.splitlines() + r.stdout.splitlines():
        if "Find Response:" in line:
            cur = {}
            answers.append(cur)
        elif cur is not None and line.startswith("I: (") and "#" in line:
            name = line.split("#")[-1].split()[-1]
            value = line.split("[", 1)[1].split("]", 1)[0] if "[" in line else ""
            cur[name] = value.rstrip("\x00 ")  # DICOM pads to even length
    return answers


def received_uids(folder):
    """The SOP Instance UIDs of the files in folder (what a storescp got).
    storescp writes a file under its final name: one still being written
    is read again, for up to 10 s, before its error fails the test."""
    import pydicom

    def uid_of(path):
        deadline = time.monotonic() + 10
        while True:
            try:
                return str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return {uid_of(os.path.join(folder, f)) for f in os.listdir(folder)}
