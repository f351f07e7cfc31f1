"""Fixtures for mockpacs against real DICOM peers on loopback: DCMTK's
tools, GDCM's gdcmscu, Debian's Orthanc, dicom3tools and pydicom."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests"))
from dicomgen import make_instances  # noqa: E402,F401  (the suites and bench/ take it from here)
MOCKPACS = os.environ.get("CIRR_MOCKPACS", os.path.join(REPO, "build", "cirr-mockpacs"))
NODELAY = dict(os.environ, TCP_NODELAY="1")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class Process:
    def __init__(self, args, env, log):
        self.log = log
        self.proc = subprocess.Popen(args, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)

    def text(self):
        return open(self.log, errors="replace").read()

    def wait_listening(self, timeout):
        """Waits for self.port; a server that never listens is stopped, not left behind."""
        try:
            wait_port(self.port, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def assert_no_sanitizer_report(p):
    """The ASan/UBSan builds print these and stop; the plain builds never do."""
    text = p.text()
    for marker in SANITIZER_REPORTS:
        assert marker not in text, text[text.index(marker) - 200:][:3000]


class Mock(Process):
    def __init__(self, tmp, wrapper=(), **env):
        self.port, self.http = free_port(), free_port()
        e = {"PATH": "/usr/bin:/bin", "MOCK_PORT": str(self.port), "MOCK_HTTP_PORT": str(self.http),
             "MOCK_STORE_DIR": str(tmp / f"store-{self.port}"), "MOCK_END_DATE": "20261101",
             "MOCK_STUDIES": "1000", "MOCK_SEED": "7"}
        e.update({k: str(v) for k, v in env.items()})
        super().__init__([*wrapper, MOCKPACS], e, str(tmp / f"mockpacs-{self.port}.log"))
        self.wait_listening(60)

    def status(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/status", timeout=5) as r:
            return json.loads(r.read())


@pytest.fixture
def mock(tmp_path):
    started = []

    def start(wrapper=(), **env):
        m = Mock(tmp_path, wrapper, **env)
        started.append(m)
        return m

    yield start
    for m in started:
        assert m.stop() == 0, m.text()
        assert_no_sanitizer_report(m)


@pytest.fixture
def storescp(tmp_path):
    started = []

    def start(aet="WS", port=None):
        """port: a given one (a destination that comes back), else a free one."""
        port = port or free_port()
        out = tmp_path / f"{aet}-{port}"
        out.mkdir()
        p = Process(["storescp", "-aet", aet, "--output-directory", str(out), str(port)], NODELAY,
                    str(tmp_path / f"storescp-{port}.log"))
        wait_port(port)
        p.port, p.dir = port, out
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


@pytest.fixture
def orthanc(tmp_path):
    """Debian's Orthanc with its own configuration on free loopback ports:
    start(aet, dicom port or None for a free one, DicomModalities)."""
    started = []

    def start(aet="ORTHANC", dicom=None, modalities=None):
        http, dicom = free_port(), dicom or free_port()
        db = tmp_path / f"orthanc-{aet}"
        cfg = {"Name": aet.lower(), "DicomAet": aet, "DicomPort": dicom, "HttpPort": http,
               "StorageDirectory": str(db), "IndexDirectory": str(db), "RemoteAccessAllowed": False,
               "AuthenticationEnabled": False, "Plugins": [], "DicomModalities": modalities or {}}
        path = tmp_path / f"orthanc-{aet}.json"
        path.write_text(json.dumps(cfg))
        p = Process(["/usr/sbin/Orthanc", str(path)], NODELAY, str(tmp_path / f"orthanc-{aet}.log"))
        started.append(p)
        wait_port(http, 60)
        wait_port(dicom, 60)
        p.http, p.dicom = http, dicom
        return p

    yield start
    for p in started:
        p.stop()


def dcmtk(*args, check=True, timeout=120):
    r = subprocess.run(list(args), env=NODELAY, capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def find(mock, level, *keys, root="-S"):
    """findscu answers as a list of {keyword: value} dicts."""
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


MUX = os.environ.get("CIRR_MUX", os.path.join(REPO, "build", "cirr-mux"))


class Mux(Process):
    def __init__(self, tmp, spool, dests, wrapper=(), **env):
        self.port, self.http = free_port(), free_port()
        e = {"PATH": "/usr/bin:/bin", "MUX_PORT": str(self.port), "MUX_HTTP_PORT": str(self.http),
             "MUX_SPOOL": str(spool), "MUX_ALLOW": "*", "MUX_MIN_FREE_MB": "1", "MUX_RETRY_BASE_MS": "200",
             "MUX_RETRY_MAX_MS": "1000"}
        for name, (aet, port) in dests.items():
            e[f"MUX_DEST_{name}"] = f"{aet},127.0.0.1,{port}"
        e.update({k: str(v) for k, v in env.items()})
        self.env = e
        super().__init__([*wrapper, MUX], e, str(tmp / f"mux-{self.port}-{time.monotonic_ns()}.log"))
        self.wait_listening(60)

    def metrics(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/metrics", timeout=5) as r:
            out = {}
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    k, v = line.rsplit(" ", 1)
                    out[k] = float(v)
            return out


@pytest.fixture
def mux(tmp_path):
    started = []

    def start(dests, spool=None, wrapper=(), **env):
        m = Mux(tmp_path, spool or (tmp_path / "spool"), dests, wrapper, **env)
        started.append(m)
        return m

    yield start
    for m in started:
        rc = m.stop()
        assert rc == 0 or getattr(m, "killed", False), f"mux exit status {rc}: {m.text()[-2000:]}"
        assert_no_sanitizer_report(m)


def received_uids(folder):
    import pydicom
    return {str(pydicom.dcmread(os.path.join(folder, f), stop_before_pixels=True).SOPInstanceUID)
            for f in os.listdir(folder)}


def wait_until(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
