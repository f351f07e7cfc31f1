"""cirr-watcher under test, on a free metrics port, with short poll and
retry delays; its Prometheus page; an Orthanc whose series and studies
become stable within a second; and reading what reached PostgreSQL.
The fixtures watcher, orthanc1 and hec are for the watcher's test
modules (import them there)."""
import functools
import os
import subprocess
import time
import urllib.request

import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.support.hec_double import HecDouble, Token
from tests.support.mux import read_metrics
from tests.support.orthanc import Orthanc
from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import Process
from tests.support.waiting import wait_for

WATCHER = built("CIRR_WATCHER", "cirr-watcher")
TOKEN = "hec-Token-5e1d"


def stable_orthanc(tmp, seconds=1, aet="ORTHANC"):
    """An Orthanc with StableAge=seconds (its default, 60 s, would make
    every series and study event wait a minute)."""
    return Orthanc(tmp, aet=aet, config={"StableAge": seconds})


def hec_double(indexes=None, ack=False, tls=None):
    """A HEC double that knows TOKEN (allowed indexes: all, or the given);
    tls: (cert, key) for HTTPS."""
    return HecDouble({TOKEN: Token(indexes=indexes, ack=ack)}, tls=tls)


def pg_conninfo(pg):
    return f"host=127.0.0.1 port={pg.port} dbname=postgres user=postgres"


def pg_query(pg, sql):
    """Rows of sql on the cluster, as lists of strings (psql -At)."""
    r = subprocess.run(["psql", "-At", "-F", "\t", "-c", sql, pg_conninfo(pg)], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, PGPASSWORD=pg.PASSWORD))
    assert r.returncode == 0, r.stderr
    return [line.split("\t") for line in r.stdout.splitlines()]


class Watcher(Process):
    """A started watcher: .http (metrics), .state. hec: a HecDouble (token
    TOKEN, through a _FILE secret); pg: a started Postgres; orthanc: an
    Orthanc; env: more WATCH_* variables."""

    def __init__(self, tmp, routes="index_instances", hec=None, pg=None, orthanc=None, state=None,
                 wrapper=(), **env):
        self.http = self.port = free_port()
        self.state = str(state or tmp / "watcher-state")
        secret = tmp / "hec-token"
        secret.write_text(TOKEN + "\n")
        e = {"PATH": "/usr/bin:/bin", "WATCH_HTTP_PORT": str(self.http), "WATCH_STATE": self.state,
             "WATCH_ROUTES": routes, "WATCH_ORTHANC_POLL_MS": "100", "WATCH_RETRY_BASE_MS": "100",
             "WATCH_RETRY_MAX_MS": "1000", "WATCH_PACS_INTERVAL_S": "1"}
        if orthanc:
            e["WATCH_ORTHANC_URL"] = f"http://127.0.0.1:{orthanc.http}"
        if hec:
            e.update(WATCH_HEC_URL=hec.url(), WATCH_HEC_TOKEN_FILE=str(secret))
        if pg:
            pw = tmp / "pg-password"
            pw.write_text(pg.PASSWORD)
            e.update(WATCH_PG=pg_conninfo(pg), WATCH_PG_PASSWORD_FILE=str(pw))
        e.update({k: str(v) for k, v in env.items()})
        self.env = e
        super().__init__([*wrapper, WATCHER], e, str(tmp / f"watcher-{self.http}-{time.monotonic_ns()}.log"))
        self.wait_listening(60)

    def metrics(self):
        return read_metrics(self.http)

    def kill(self):
        """SIGKILL, as a crash: nothing gets a chance to flush."""
        self.killed = True
        self.proc.kill()
        self.proc.wait()


def store_folder(orthanc, folder):
    """Every file of folder into Orthanc through its REST API; their count."""
    n = 0
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            req = urllib.request.Request(f"http://127.0.0.1:{orthanc.http}/instances", data=f.read(), method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200
        n += 1
    return n


def wait_events(hec, index, count, timeout=60):
    wait_for(lambda: len(hec.by_index(index)) >= count, timeout, f"{count} events in index {index}")
    return hec.by_index(index)


@pytest.fixture
def watcher(tmp_path):
    """Starts Watchers (tmp_path's); each must have stopped cleanly or been killed."""
    yield from each_started(functools.partial(Watcher, tmp_path), stopped_cleanly)


@pytest.fixture
def orthanc1(tmp_path):
    """An Orthanc whose series and studies are stable after 1 s."""
    o = stable_orthanc(tmp_path)
    yield o
    o.stop()


@pytest.fixture
def hec():
    h = hec_double()
    yield h
    h.close()
