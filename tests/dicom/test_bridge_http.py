"""cirr-bridge's HTTP side (issue 12): /health, /metrics, the JSON API
(find, retrieve, job progress) against mockpacs, every input checked."""
import json
import os
import urllib.error
import urllib.request

import pytest

from tests.dicom.conftest import stopped_cleanly
from tests.support.bridge import Bridge, bridge_destination, fixture_of, query
from tests.support.dcmtk import received_uids
from tests.support.ports import free_port
from tests.support.waiting import wait_for


bridge = fixture_of(Bridge, stopped_cleanly)


def get(b, path, data=None, kind=None):
    """(status, parsed JSON or text) of GET path on the bridge's HTTP port
    (a POST of data, bytes of Content-Type kind, when given)."""
    request = urllib.request.Request(f"http://127.0.0.1:{b.http}{path}", data=data,
                                     headers={"Content-Type": kind} if kind else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, body, kind = r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, body, kind = e.code, e.read().decode(), e.headers.get("Content-Type", "")
    return status, json.loads(body) if kind.startswith("application/json") else body


@pytest.fixture
def pacs(mock, bridge, storescp):
    archive = storescp("ARCHIVE")
    port = free_port()
    m = mock(**bridge_destination(port))
    return m, bridge(m.port, {"ARCHIVE": ("ARCHIVE", archive.port)}, port=port, BRIDGE_ALLOW="FINDSCU"), archive


def test_find_answers_as_json_what_the_pacs_answers(pacs):
    m, b, _ = pacs
    status, j = get(b, "/api/find?level=STUDY&PatientID=MRN00000002")
    direct = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID", "AccessionNumber")
    assert status == 200 and j["count"] == len(direct) > 0 and j["status"] == "0x0000"
    assert sorted((a["StudyInstanceUID"], a["AccessionNumber"]) for a in j["answers"]) == \
        sorted((a["StudyInstanceUID"], a["AccessionNumber"]) for a in direct)
    status, j = get(b, "/api/find?level=STUDY&StudyDate=20261001-20261015&PatientName=*")
    ranged = query(m.port, "MOCK", "STUDY", "StudyDate=20261001-20261015", "StudyInstanceUID")
    assert status == 200 and {a["StudyInstanceUID"] for a in j["answers"]} == {a["StudyInstanceUID"] for a in ranged}
    assert all("20261001" <= a["StudyDate"] <= "20261015" for a in j["answers"])
    status, j = get(b, "/api/find?level=STUDY&AccessionNumber=" + direct[0]["AccessionNumber"])
    assert status == 200 and [a["StudyInstanceUID"] for a in j["answers"]] == [direct[0]["StudyInstanceUID"]]


BAD_INPUT = [
    ("/api/find?PatientID=X", "level"),
    ("/api/find?level=IMAGE", "level"),
    ("/api/find?level=STUDY&Bogus=1", "unknown parameter"),
    ("/api/find?level=STUDY&StudyDate=20240101%0A", "StudyDate"),
    ("/api/find?level=STUDY&PatientName=A%5CB", "PatientName"),
    ("/api/find?level=STUDY&PatientID=" + "x" * 65, "PatientID"),
    ("/api/find?level=STUDY&level=STUDY", "twice"),
    ("/api/find?level=STUDY&PatientID=%zz", "PatientID"),
    ("/api/jobs/abc", "number"),
    ("/api/jobs/99", "no such job"),
    ("/api/nothing", "no such"),
]


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
BAD_POSTS = [
    ("/api/retrieve", b"study=1.2.3&destination=NOWHERE", FORM, 400, "destination"),
    ("/api/retrieve", b"study=1.2.3&destination=PACS", FORM, 400, "destination"),  # the upstream is no destination
    ("/api/retrieve", b'{"study": "1.2.x", "destination": "ARCHIVE"}', JSON, 400, "study"),
    ("/api/retrieve", b'{"study": "1.2.3", "destination": "ARCHIVE", "x": "1"}', JSON, 400, "unknown parameter"),
    ("/api/retrieve", b'{"study": "1.2.3", "study": "1.2.3"}', JSON, 400, "twice"),
    ("/api/retrieve", b'{"study": 1}', JSON, 400, "string"),
    ("/api/retrieve", b'{"study": "1.2.\\u0033"}', JSON, 400, "escapes"),
    ("/api/retrieve", b'["1.2.3"]', JSON, 400, "JSON object"),
    ("/api/retrieve", b'{"study": "1.2.3"} x', JSON, 400, "after"),
    ("/api/retrieve", b"study=1.2.3&destination=ARCHIVE", "text/plain", 400, "Content-Type"),
    ("/api/retrieve", b"study=1.2.3%00&destination=ARCHIVE", FORM, 400, "study"),
    ("/api/retrieve?study=1.2.3", b"destination=ARCHIVE", FORM, 400, "in the body"),
    ("/api/find?level=STUDY", b"", FORM, 405, "POST"),
]


def test_bad_input_is_refused_with_a_reason(pacs):
    m, b, archive = pacs
    for path, words in BAD_INPUT:
        status, j = get(b, path)
        assert status in (400, 404) and words in j["error"], (path, status, j)
    # a GET never starts a retrieve (a crawler, a prefetch, a link)
    status, j = get(b, "/api/retrieve?study=1.2.3&destination=ARCHIVE")
    assert status == 405 and "POST" in j["error"], (status, j)
    for path, data, kind, code, words in BAD_POSTS:
        status, j = get(b, path, data, kind)
        assert status == code and words in j["error"], (path, data, status, j)
    assert not os.listdir(archive.dir) and "from BRIDGE" not in m.text()  # the PACS was never asked


def test_retrieve_over_http_reaches_the_destination_with_progress(pacs):
    m, b, archive = pacs
    study = max(query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID",
                      "NumberOfStudyRelatedInstances"), key=lambda a: int(a["NumberOfStudyRelatedInstances"]))
    uid, total = study["StudyInstanceUID"], int(study["NumberOfStudyRelatedInstances"])
    status, j = get(b, "/api/destinations")
    assert status == 200 and j["destinations"] == [{"name": "ARCHIVE", "aet": "ARCHIVE"}]
    status, j = get(b, "/api/retrieve", f"study={uid}&destination=ARCHIVE".encode(), FORM)
    assert status == 200 and j["job"] >= 1
    job = j["job"]
    wait_for(lambda: get(b, f"/api/jobs/{job}")[1]["state"] != "running", timeout=60, what="the job's end")
    status, j = get(b, f"/api/jobs/{job}")
    assert j["state"] == "done" and j["percent"] == 100 and j["completed"] == j["total"] == total
    assert len(received_uids(archive.dir)) == total
    # it went the way a caller's goes: relayed, counted, logged
    assert f"C-MOVE from BRIDGE done: {total} listed, {total} handed on" in b.text()
    assert b.metrics()["bridge_instances_relayed_total"] == total
    # the same as JSON: nothing new to relay (the archive has it), the job ends done
    status, j = get(b, "/api/retrieve", json.dumps({"study": uid, "destination": "ARCHIVE"}).encode(), JSON)
    assert status == 200 and j["job"] == job + 1
    wait_for(lambda: get(b, f"/api/jobs/{job + 1}")[1]["state"] != "running", timeout=60, what="the second job")
    assert get(b, f"/api/jobs/{job + 1}")[1]["state"] == "done"


def test_health_metrics_and_the_page(pacs):
    m, b, _ = pacs
    assert get(b, "/health") == (200, "ok\n")
    status, text = get(b, "/metrics")
    assert status == 200 and "bridge_upstream_in_use 0" in text and "bridge_upstream_limit 4" in text
    status, page = get(b, "/")
    assert status == 200 and "<form" in page and "api/find?" in page
    assert "http://" not in page and "https://" not in page and "src=" not in page  # nothing from elsewhere
    assert "'/api" not in page  # relative URLs only: it works behind /bridge


def test_health_is_answered_while_a_find_waits_on_the_pacs(pacs):
    # A find from the page waits on the PACS (here stopped): /health, the
    # metrics and the page are answered meanwhile, within a probe's timeout.
    import signal
    import threading
    import time
    m, b, _ = pacs
    assert get(b, "/api/find?level=STUDY&StudyDate=20261001-20261101")[0] == 200  # an upstream association held open
    m.proc.send_signal(signal.SIGSTOP)
    result = {}
    try:
        finder = threading.Thread(target=lambda: result.update(find=get(b, "/api/find?level=STUDY&PatientID=MRN00000002")))
        finder.start()
        wait_for(lambda: b.metrics()["bridge_upstream_in_use"] == 1, timeout=10, what="the find waiting on the PACS")
        for path, expected in (("/health", "ok\n"), ("/metrics", "bridge_upstream_in_use 1"), ("/", "<form")):
            t0 = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{b.http}{path}", timeout=2) as r:
                assert r.status == 200 and expected in r.read().decode(), path
            assert time.monotonic() - t0 < 2, path
        assert finder.is_alive()  # still waiting on the PACS
    finally:
        m.proc.send_signal(signal.SIGCONT)
    finder.join(30)
    status, answers = result["find"]
    assert status == 200 and answers["count"] >= 1 and answers["status"] == "0x0000"
