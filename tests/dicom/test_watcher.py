"""cirr-watcher against Debian's Orthanc (the source), the HEC double and a
real PostgreSQL (the sinks): every instance, series and study indexed, at
least once, through crashes, outages and refusals."""
import datetime
import json
import os
import subprocess
import urllib.request

import pytest

from tests.support.dicomgen import make_instances
from tests.support.http_double import make_cert
from tests.support.postgres import Postgres
from tests.support.processes import VALGRIND, assert_valgrind_clean
from tests.support.waiting import wait_for
from tests.support.watcher import hec, orthanc1, watcher  # noqa: F401 (fixtures)
from tests.support.watcher import WATCHER, hec_double, pg_query, store_folder, wait_events


@pytest.fixture(scope="module")
def pg():
    p = Postgres()
    p.start()
    yield p
    p.destroy()


def stored(tmp_path, orthanc, studies, per_study, size=8):
    """studies x per_study new instances (one series a study) stored into
    Orthanc; their SOP Instance UIDs."""
    uids = []
    for s in range(studies):
        folder = tmp_path / f"in-{s}-{os.urandom(4).hex()}"
        uids += make_instances(folder, per_study, size=size)
        store_folder(orthanc, folder)
    return uids


def uids_of(events, keyword):
    return [e["event"][keyword] for e in events]


def test_instances_series_and_studies_reach_hec_and_postgres(tmp_path, orthanc1, hec, pg, watcher):
    uids = stored(tmp_path, orthanc1, 4, 50)
    hec.tokens[next(iter(hec.tokens))].ack = True  # indexer acknowledgement on, as the watcher is told
    w = watcher("index_instances;index_series;index_studies", hec=hec, pg=pg, orthanc=orthanc1, WATCH_HEC_ACK=1)
    instances = wait_events(hec, "dicom_instances", 200)
    series = wait_events(hec, "dicom_series", 4, timeout=30)
    studies = wait_events(hec, "dicom_studies", 4, timeout=30)
    assert sorted(set(uids_of(instances, "SOPInstanceUID"))) == sorted(uids)
    assert len(set(uids_of(series, "SeriesInstanceUID"))) == 4 and len(set(uids_of(studies, "StudyInstanceUID"))) == 4
    first = instances[0]
    assert first["sourcetype"] == "_json" and first["source"] == "cirr-watcher:index_instances"
    assert isinstance(first["event"], dict) and first["event"]["Modality"] == "CT"
    assert first["event"]["StudyDateTime"].startswith(first["event"]["StudyDate"][:4] + "-")
    wait_for(lambda: pg_query(pg, "select count(*) from dicom_instances") == [["200"]], 30, "200 rows")
    assert pg_query(pg, "select count(distinct uid) from dicom_instances") == [["200"]]
    assert sorted(r[0] for r in pg_query(pg, "select event->>'SOPInstanceUID' from dicom_instances")) == sorted(uids)
    wait_for(lambda: pg_query(pg, "select count(*) from dicom_studies") == [["4"]], 30, "4 study rows")
    assert pg_query(pg, "select count(*) from dicom_series") == [["4"]]
    m = w.metrics()
    assert m['watcher_events_read_total{route="index_instances"}'] == 200
    assert m['watcher_events_sent_total{sink="hec"}'] >= 208 and m['watcher_events_failed_total{sink="hec"}'] == 0
    assert hec.requests.get("/services/collector/ack", 0) >= 1
    assert hec.requests["/services/collector/event"] < 50  # batched, not one request an event


def test_a_session_is_valgrind_clean(tmp_path, orthanc1, hec, pg, watcher, mock):
    """Following Orthanc, every level's events to HEC (with acknowledgement,
    through an outage) and to PostgreSQL, sweeps of a PACS, metrics and
    shutdown, under valgrind (a long-running service)."""
    yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y%m%d")
    m = mock(MOCK_STUDIES=30, MOCK_HISTORY_DAYS=2, MOCK_END_DATE=yesterday)
    hec.tokens[next(iter(hec.tokens))].ack = True
    w = watcher("index_instances;index_series;index_studies;index_pacs", hec=hec, pg=pg, orthanc=orthanc1,
                WATCH_HEC_ACK=1, WATCH_PACS=f"MOCK,127.0.0.1,{m.port}", TZ="UTC", WATCH_PACS_LOOKBACK_MIN=5 * 1440,
                wrapper=VALGRIND)
    hec.busy_for(4)
    uids = stored(tmp_path, orthanc1, 2, 10)
    assert set(uids_of(wait_events(hec, "dicom_instances", 20, timeout=120), "SOPInstanceUID")) == set(uids)
    wait_events(hec, "dicom_studies", 2, timeout=120)
    mine = "select count(*) from dicom_instances where uid in (%s)" % ",".join(f"'{u}'" for u in uids)
    wait_for(lambda: pg_query(pg, mine) == [["20"]], 120, "the 20 instance rows")
    assert len({e["event"]["StudyInstanceUID"] for e in wait_events(hec, "pacs_studies", 30, timeout=120)}) == 30
    assert w.metrics()['watcher_send_retries_total{sink="hec"}'] >= 1
    assert_valgrind_clean(w)


def test_main_tags_come_from_orthanc_s_index_with_every_level_s_keys(tmp_path, orthanc1, hec, watcher):
    uids = stored(tmp_path, orthanc1, 3, 20)
    watcher("index_instances", hec=hec, orthanc=orthanc1, WATCH_ORTHANC_TAGS="main", WATCH_ORTHANC_PAGE=25)
    events = wait_events(hec, "dicom_instances", 60)
    assert sorted(uids_of(events, "SOPInstanceUID")) == sorted(uids)
    for e in events:
        tags = e["event"]
        assert tags["PatientID"] == "MUX1" and tags["Modality"] == "CT" and tags["InstanceNumber"]
        assert tags["StudyInstanceUID"] and tags["SeriesInstanceUID"] and tags["StudyDateTime"]
    assert len({e["event"]["SeriesInstanceUID"] for e in events}) == 3


def test_kill_9_mid_stream_then_restart_loses_nothing(tmp_path, orthanc1, hec, watcher):
    uids = stored(tmp_path, orthanc1, 2, 500, size=4)
    hec.delay = 0.05  # a slow collector: the kill comes while most events wait
    state = tmp_path / "state"
    w = watcher("index_instances", hec=hec, orthanc=orthanc1, state=state, WATCH_BATCH_EVENTS=25)
    wait_for(lambda: hec.count() >= 200, 60, "200 events before the kill")
    w.kill()
    assert hec.count() < 1000
    hec.delay = 0
    watcher("index_instances", hec=hec, orthanc=orthanc1, state=state, WATCH_BATCH_EVENTS=25)
    got = set(uids_of(wait_events(hec, "dicom_instances", 1000, timeout=90), "SOPInstanceUID"))
    wait_for(lambda: set(uids_of(hec.by_index("dicom_instances"), "SOPInstanceUID")) >= set(uids), 60,
             "every instance at least once")
    assert got <= set(uids)


def test_an_outage_of_hec_is_retried_and_loses_nothing(tmp_path, orthanc1, hec, watcher):
    hec.busy_for(4)
    w = watcher("index_instances", hec=hec, orthanc=orthanc1, WATCH_BATCH_EVENTS=10)
    uids = stored(tmp_path, orthanc1, 2, 30)
    wait_for(lambda: w.metrics()['watcher_send_retries_total{sink="hec"}'] >= 2, 30, "retries during the outage")
    assert w.metrics()['watcher_outbox_batches{sink="hec"}'] >= 1
    events = wait_events(hec, "dicom_instances", 60, timeout=60)
    assert set(uids_of(events, "SOPInstanceUID")) == set(uids)
    wait_for(lambda: w.metrics()['watcher_outbox_batches{sink="hec"}'] == 0, 10, "an empty outbox")
    assert w.metrics()['watcher_events_failed_total{sink="hec"}'] == 0


def test_a_revoked_token_sends_batches_to_the_dead_letters_and_the_watcher_runs_on(tmp_path, orthanc1, hec,
                                                                                     watcher):
    w = watcher("index_instances", hec=hec, orthanc=orthanc1)
    stored(tmp_path, orthanc1, 1, 5)
    wait_events(hec, "dicom_instances", 5)
    hec.revoke(next(iter(hec.tokens)))
    stored(tmp_path, orthanc1, 1, 7)
    wait_for(lambda: w.metrics()['watcher_events_failed_total{sink="hec"}'] == 7, 30, "7 events refused")
    dead = os.path.join(w.state, "dead", "hec")
    reasons = [open(os.path.join(dead, f)).read() for f in os.listdir(dead) if f.endswith(".reason")]
    assert reasons and all("HEC code 4: Invalid token" in r and "HTTP 403" in r for r in reasons)
    lines = sum(open(os.path.join(dead, f)).read().count("\n") for f in os.listdir(dead) if f.endswith(".batch"))
    assert lines == 7
    assert w.proc.poll() is None and hec.count() == 5
    assert "hec-Token" not in w.text()


def test_hec_over_https_verifies_the_certificate(tmp_path, orthanc1, watcher):
    cert, key = make_cert(str(tmp_path))
    hec = hec_double(tls=(cert, key))
    try:
        stored(tmp_path, orthanc1, 1, 3)
        untrusted = watcher("index_instances", hec=hec, orthanc=orthanc1, state=tmp_path / "a")
        wait_for(lambda: untrusted.metrics()['watcher_send_retries_total{sink="hec"}'] >= 2, 30,
                 "retries against an unknown certificate")
        assert hec.count() == 0 and "certificate" in untrusted.text().lower()
        watcher("index_instances", hec=hec, orthanc=orthanc1, state=tmp_path / "b", WATCH_HEC_CA=cert)
        wait_events(hec, "dicom_instances", 3)
        before = hec.count()
        watcher("index_instances", hec=hec, orthanc=orthanc1, state=tmp_path / "c", WATCH_HEC_INSECURE="true")
        wait_for(lambda: hec.count() >= before + 3, 30, "3 more events without verification")
    finally:
        hec.close()


def test_upload_files_sends_quiet_files_to_orthanc_and_sorts_them(tmp_path, orthanc1, watcher):
    incoming = tmp_path / "incoming"
    uids = make_instances(incoming / "study1", 3, size=8)
    (incoming / "notes.txt").write_text("not DICOM")
    w = watcher("upload_files", orthanc=orthanc1, WATCH_UPLOAD_DIR=incoming, WATCH_UPLOAD_QUIET_S=1)
    wait_for(lambda: w.metrics()['watcher_events_read_total{route="upload_files"}'] == 3 and
             w.metrics()['watcher_events_skipped_total{route="upload_files"}'] == 1, 30, "3 sent, 1 refused")
    assert sorted(os.listdir(incoming / "done" / "study1")) == ["i00000.dcm", "i00001.dcm", "i00002.dcm"]
    assert "HTTP 400" in (incoming / "failed" / "notes.txt.reason").read_text()
    assert not (incoming / "notes.txt").exists() and not os.listdir(incoming / "study1")
    with urllib.request.urlopen(f"http://127.0.0.1:{orthanc1.http}/instances?expand", timeout=10) as r:
        assert sorted(i["MainDicomTags"]["SOPInstanceUID"] for i in json.loads(r.read())) == sorted(uids)


@pytest.mark.parametrize("env, names", [
    ({}, "WATCH_HEC_URL"),
    ({"WATCH_HEC_URL": "http://127.0.0.1:1"}, "WATCH_HEC_TOKEN"),
    ({"WATCH_PG": "host=x", "WATCH_ROUTES": "nope"}, "route 'nope'"),
    ({"WATCH_PG": "host=x", "WATCH_ROUTES": "a: orthanc:x -> index:i"}, "unknown source"),
    ({"WATCH_PG": "host=x", "WATCH_ROUTES": "a: pacs -> index:i"}, "WATCH_PACS"),
    ({"WATCH_PG": "host=x", "WATCH_BATCH_EVENTS": "0"}, "WATCH_BATCH_EVENTS"),
])
def test_bad_configuration_stops_at_start_naming_the_variable(tmp_path, env, names):
    r = subprocess.run([WATCHER], env={"PATH": "/usr/bin:/bin", "WATCH_STATE": str(tmp_path), **env},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100, r.stderr
    assert names in r.stderr and len(r.stderr.strip().splitlines()) == 1
