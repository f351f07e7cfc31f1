"""cirr-bridge under test, on free loopback ports, in front of a mockpacs
(its upstream, MOD_PACS), with move destinations on loopback; and the
count of associations open to that mockpacs, watched from outside."""
import os
import re
import threading
import time

from tests.support.mux import read_metrics
from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import Process

BRIDGE = built("CIRR_BRIDGE", "cirr-bridge")


class Bridge(Process):
    """A started bridge: .port (DICOM), .http (HTTP), .aet. upstream: the
    mockpacs (AE title MOCK) it asks; dests: {NAME: (AET, port)} on
    loopback, as MOD_<NAME>; env: more BRIDGE_* variables (BRIDGE_ALLOW
    defaults to '*'). The mockpacs must know the bridge as a move
    destination: start it with bridge_destination(port) first."""

    def __init__(self, tmp, upstream_port, dests=None, port=None, wrapper=(), **env):
        self.port, self.http = port or free_port(), free_port()
        self.aet = env.get("BRIDGE_AET", "BRIDGE")
        e = {"PATH": "/usr/bin:/bin", "BRIDGE_PORT": str(self.port), "BRIDGE_HTTP_PORT": str(self.http),
             "BRIDGE_ALLOW": "*", "MOD_PACS": f"MOCK,127.0.0.1,{upstream_port}", "BRIDGE_TIMEOUT": "20",
             "BRIDGE_UPSTREAM_IDLE": "1"}  # upstream associations kept between requests, briefly
        for name, (aet, p) in (dests or {}).items():
            e[f"MOD_{name}"] = f"{aet},127.0.0.1,{p}"
        e.update({k: str(v) for k, v in env.items()})
        self.env = e
        super().__init__([*wrapper, BRIDGE], e, str(tmp / f"bridge-{self.port}-{time.monotonic_ns()}.log"))
        self.wait_listening(60, ports=(self.port, self.http))

    def metrics(self):
        return read_metrics(self.http)


def fixture_of(make, check=None, with_tmp=True):
    """A pytest fixture that starts servers with make(tmp_path, ...) (or
    make(...)) and stops them after the test, as tests/dicom/conftest.py's
    do (each_started); check(each) afterwards."""
    import functools

    import pytest

    from tests.dicom.conftest import each_started

    def fixture(request):
        start = functools.partial(make, request.getfixturevalue("tmp_path")) if with_tmp else make
        yield from each_started(start, check)
    return pytest.fixture(fixture)


def bridge_destination(port, aet="BRIDGE"):
    """The mockpacs variable that makes the bridge on port a move destination."""
    return {f"MOD_{aet}": f"{aet},127.0.0.1,{port}"}


def socket_inodes(pid):
    """The inodes of the sockets process pid holds open."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def established_to(port, pid):
    """The TCP connections in state ESTABLISHED that process pid holds on
    its port (the associations a server there holds now), from
    /proc/net/tcp: counted by their remote end (the kernel writes the
    table in pieces, and a socket can be listed twice when the table
    changes between them), and only the server's own sockets (a client's
    socket elsewhere may have been given the same local port number)."""
    peers, mine = set(), socket_inodes(pid)
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port and fields[9] in mine:
                        peers.add(fields[2])
        except FileNotFoundError:
            pass
    return len(peers)


class ConnectionWatch:
    """Samples established_to(port, pid) every millisecond on a thread
    until stopped; .most is the highest count seen."""

    def __init__(self, port, pid):
        self.port, self.pid, self.most, self._stop = port, pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.most = max(self.most, established_to(self.port, self.pid))
            time.sleep(0.001)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.most


def query(port, aec, level, *keys, root="-S", aet="FINDSCU", tmp=None):
    """findscu to aec on port at level, the answers written out (-X) and
    read back with pydicom: a sorted list of {keyword: value} dicts."""
    import os
    import tempfile

    import pydicom

    from tests.support.dcmtk import dcmtk
    with tempfile.TemporaryDirectory(dir=tmp) as out:
        dcmtk("findscu", root, "-aet", aet, "-aec", aec, "-X", "-od", out, "-k", f"QueryRetrieveLevel={level}",
              *[a for k in keys for a in ("-k", k)], "127.0.0.1", str(port))
        answers = []
        for name in sorted(os.listdir(out)):
            ds = pydicom.dcmread(os.path.join(out, name), force=True)
            answers.append({e.keyword: str(e.value) for e in ds if e.keyword})
    return sorted(answers, key=lambda a: sorted(a.items()))


def suboperation_counts(block, names):
    """{name: count} of one response in DCMTK's -d output (None when not given)."""
    counts = {}
    for name in names:
        found = re.search(rf"{name} Suboperations\s*:\s*(\d+)", block)
        counts[name.lower()] = int(found.group(1)) if found else None
    return counts


def pending_counts(output):
    """The counts of each pending answer in DCMTK's movescu/getscu -d
    output, in order: [{remaining, completed, failed, warning}]."""
    blocks = re.split(r"Received (?:Move|Get) Response \d+", output.rsplit("Received Final", 1)[0])[1:]
    return [suboperation_counts(b, ("Remaining", "Completed", "Failed", "Warning")) for b in blocks]


def move_status(output):
    """The final status of a C-MOVE or C-GET from DCMTK's movescu/getscu
    -d output ('0x0000', '0xb000', ...) and its counts {completed, failed,
    warning} (None when not given)."""
    final = output.rsplit("Received Final", 1)
    if len(final) < 2:
        return None, {}
    tail = final[1]
    status = re.search(r"DIMSE Status\s*:\s*(0x[0-9a-fA-F]{4})", tail)
    counts = suboperation_counts(tail, ("Completed", "Failed", "Warning"))
    return (status.group(1).lower() if status else None), counts
