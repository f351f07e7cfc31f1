"""cirr's SCUs against a hostile or broken peer (issue 11, finding 1 on the
side of the associations cirr requests): a PACS (or archive) that answers
with sequences nested 20,000 deep, which overflow the thread's stack in
DCMTK's recursive parser, or that trickles its answer. Each SCU in cirr
(the bridge relaying a PACS, cirr-pull, the watcher's PACS monitor, the
mux forwarding) must cut such a peer off with a reason and go on."""
import os
import socket
import subprocess
import time

import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.support import anongen
from tests.support.bridge import Bridge, move_status
from tests.support.dcmtk import NODELAY, dcmtk
from tests.support.dicomgen import make_instances
from tests.support.mux import Mux
from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import assert_no_sanitizer_report
from tests.support.rawscp import RawSCP
from tests.support.waiting import wait_for
from tests.support.watcher import Watcher, hec_double

PULL = built("CIRR_PULL", "cirr-pull")
NESTED = "nested deeper than 64"


@pytest.fixture
def started(tmp_path):
    yield from each_started(lambda cls, *a, **kw: cls(tmp_path, *a, **kw), stopped_cleanly)


@pytest.fixture
def hostile():
    """start(answer, **kw): a RawSCP (tests/support/rawscp.py), stopped after the test."""
    scps = []
    yield lambda *a, **kw: scps.append(RawSCP(*a, **kw)) or scps[-1]
    for s in scps:
        s.stop()


def bridge_find(bridge, aet="FINDSCU", timeout=120):
    return subprocess.run(["findscu", "-v", "-S", "-aet", aet, "-aec", "BRIDGE", "-k", "QueryRetrieveLevel=STUDY",
                           "-k", "StudyInstanceUID", "127.0.0.1", str(bridge.port)],
                          env=NODELAY, capture_output=True, text=True, timeout=timeout)


def test_bridge_answers_a_failure_when_the_pacs_answers_nested(started, hostile):
    pacs = hostile("nested")
    b = started(Bridge, pacs.port)
    for caller in ("FIRST", "SECOND"):  # the bridge is still there for the next caller
        r = bridge_find(b, caller)
        assert "Received Final Find Response (Failed: UnableToProcess)" in r.stderr, r.stdout + r.stderr
    assert b.proc.poll() is None
    dcmtk("echoscu", "-aec", "BRIDGE", "127.0.0.1", str(b.port))
    assert pacs.requests == 2
    assert b.text().count(f"the upstream failed: C-FIND: the peer answered with sequences {NESTED}") == 2, b.text()


def test_bridge_answers_a_failure_when_the_pacs_answers_a_move_nested(started, hostile):
    pacs = hostile({"move": "nested"})
    b = started(Bridge, pacs.port, {"WS": ("WS", free_port())})
    r = dcmtk("movescu", "-d", "-S", "-aec", "BRIDGE", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY", "-k",
              "StudyInstanceUID=1.2.3", "127.0.0.1", str(b.port), check=False)
    status, _ = move_status(r.stdout + r.stderr)
    assert status is not None and status not in ("0x0000", "0xff00"), r.stdout[-2000:] + r.stderr[-2000:]
    assert b.proc.poll() is None
    assert f"sequences {NESTED}" in b.text(), b.text()


@pytest.mark.parametrize("answer,timeout", [("trickle", 5), ("stall", 3)])
def test_bridge_cuts_off_a_pacs_that_trickles_or_stalls_inside_its_answer(started, hostile, answer, timeout):
    # trickle: each 14-byte PDU arrives within the DIMSE timeout, the answer never would;
    # stall: silence inside a PDU (DCMTK alone waited about a minute, whatever the timeout)
    pacs = hostile(answer, every=0.5)
    b = started(Bridge, pacs.port, BRIDGE_TIMEOUT=timeout)
    t0 = time.monotonic()
    r = bridge_find(b, timeout=60)
    assert time.monotonic() - t0 < 30, "the answer was not cut off"
    assert "Received Final Find Response (Failed: UnableToProcess)" in r.stderr, r.stdout + r.stderr
    assert f"a message took longer than {timeout} s" in b.text(), b.text()


def run_pull(tmp_path, pacs_port, rows, timeout=10):
    wl = tmp_path / "worklist.csv"
    wl.write_text("AccessionNumber,PatientID,StudyDate\n" + "".join(f"{a},,\n" for a in rows))
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": f"PACS,127.0.0.1,{pacs_port}", "PULL_SOURCE": "PACS",
           "ANON_KEY_FILE": anongen.key_file(str(tmp_path)), "TCP_NODELAY": "1", "PULL_TIMEOUT": str(timeout)}
    r = subprocess.run([PULL, str(wl), str(tmp_path / "out")], env=env, capture_output=True, text=True,
                       timeout=120)
    assert_no_sanitizer_report(r.stderr)
    return r


def test_pull_fails_the_row_whose_get_brings_a_nested_instance(tmp_path, hostile):
    pacs = hostile({"get": "nested"})
    r = run_pull(tmp_path, pacs.port, ["ACC1", "ACC2"])
    assert r.returncode == 1, r.stdout + r.stderr  # some row failed; not a crash
    assert "rows 2: pulled 0, quarantined 0, failed 2" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("failed  reason") == 1 and r.stdout.count(f"C-GET: the peer answered with sequences {NESTED} "
                                                                    "in a dataset") == 2, r.stdout
    assert pacs.requests == 4  # a find and a get for each row: the run went on


def test_pull_fails_the_row_whose_get_stalls_inside_an_instance(tmp_path, hostile):
    pacs = hostile({"get": "stall"})
    t0 = time.monotonic()
    r = run_pull(tmp_path, pacs.port, ["ACC1", "ACC2"], timeout=3)
    assert time.monotonic() - t0 < 30, "the stalled answers were not cut off"
    assert r.returncode == 1 and "rows 2: pulled 0, quarantined 0, failed 2" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("C-GET: a message took longer than 3 s") == 2, r.stdout
    assert pacs.requests == 4


def test_watcher_pacs_monitor_logs_and_retries_a_nested_answer(started, hostile):
    pacs = hostile("nested")
    hec = hec_double()
    try:
        w = started(Watcher, "index_pacs", hec=hec, WATCH_PACS=f"PACS,127.0.0.1,{pacs.port}", TZ="UTC")
        wait_for(lambda: pacs.requests >= 2, 60, "a second sweep after the failed one")
        assert w.proc.poll() is None
        assert NESTED in w.text(), w.text()
        assert w.metrics()['watcher_source_errors_total{route="index_pacs"}'] >= 1
        assert hec.count() == 0
    finally:
        hec.close()


def test_mux_keeps_an_instance_the_destination_answers_nested(started, hostile, tmp_path):
    dest = hostile({"store": "nested"})
    m = started(Mux, {"A": ("RAWSCP", dest.port)}, MUX_RETRY_BASE_MS=200, MUX_RETRY_MAX_MS=500)
    src = tmp_path / "in"
    make_instances(src, 1)
    dcmtk("storescu", "-aec", "CIRRMUX", "127.0.0.1", str(m.port), *[str(p) for p in sorted(src.iterdir())])
    wait_for(lambda: dest.requests >= 2, 60, "a retry after the nested answer")
    assert m.proc.poll() is None
    queue = tmp_path / "spool" / "queue" / "A"
    assert len(os.listdir(queue)) == 1  # kept for the next attempt: nothing lost
    assert NESTED in m.text(), m.text()


def test_watcher_pacs_monitor_cuts_off_a_trickled_answer_and_retries(started, hostile):
    # each 14-byte PDU arrives within the DIMSE timeout (2 s), the answer never would
    pacs = hostile("trickle", every=0.25)
    hec = hec_double()
    try:
        w = started(Watcher, "index_pacs", hec=hec, WATCH_PACS=f"PACS,127.0.0.1,{pacs.port}", TZ="UTC",
                    WATCH_HTTP_TIMEOUT_S=2)
        wait_for(lambda: pacs.requests >= 2, 30, "a second sweep after the cut-off one")
        assert "a message took longer than 2 s" in w.text(), w.text()
        assert w.proc.poll() is None
    finally:
        hec.close()
