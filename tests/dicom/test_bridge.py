"""cirr-bridge (issue 12) between DCMTK, GDCM and Orthanc callers and a
mockpacs as the PACS: answers and instances equal to asking mockpacs
directly, streamed; unknown destinations, refused callers, a PACS or a
destination dying mid-move; the throttle on upstream associations."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.dicom.conftest import stopped_cleanly
from tests.support.bridge import Bridge, ConnectionWatch, bridge_destination, fixture_of, move_status, pending_counts, query
from tests.support import rawscu
from tests.support.dcmtk import NODELAY, dcmtk, received_uids
from tests.support.ports import free_port
from tests.support.processes import VALGRIND, assert_valgrind_clean, thread_nice_values
from tests.support.waiting import wait_for


bridge = fixture_of(Bridge, stopped_cleanly)


@pytest.fixture
def pacs(mock, bridge):
    """start(dests, mock_env, **bridge_env): a mockpacs that knows the
    bridge as a move destination, and the bridge in front of it."""
    def start(dests=None, mock_env=None, **env):
        port = free_port()
        m = mock(**bridge_destination(port), **(mock_env or {}))
        return m, bridge(m.port, dests, port=port, **env)
    return start


def ct_study(m, slices_total):
    """A CT study of the mockpacs and its instance count."""
    a = query(m.port, "MOCK", "STUDY", "ModalitiesInStudy=CT", "StudyDate=20261001-20261101", "StudyInstanceUID",
              "NumberOfStudyRelatedInstances")[0]
    assert int(a["NumberOfStudyRelatedInstances"]) == slices_total
    return a["StudyInstanceUID"]


def move_and_meanwhile(b, uid, ready, act):
    """movescu through the bridge to WS; once ready() holds, act() (kill
    someone); movescu's answer (see move)."""
    result = {}
    t = threading.Thread(target=lambda: result.update(r=move(b.port, "BRIDGE", "WS", uid, check=False)))
    t.start()
    wait_for(ready, timeout=30, what="instances at the destination")
    act()
    t.join(120)
    return result["r"]


def kill(p):
    p.proc.kill()
    p.proc.wait()
    p.killed = True


def move(port, aec, dest, uid, *more, check=True):
    r = dcmtk("movescu", "-d", "-S", "-aec", aec, "-aem", dest, "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={uid}", *more, "127.0.0.1", str(port), check=check)
    return r, *move_status(r.stdout + r.stderr)


def test_find_answers_equal_those_of_the_pacs_at_every_level(pacs):
    m, b = pacs()
    cases = [
        ("-S", "STUDY", "StudyDate=20261001-20261015", "StudyInstanceUID", "PatientID", "PatientName",
         "AccessionNumber", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"),
        ("-S", "STUDY", "PatientName=GARCIA*", "StudyInstanceUID", "StudyDate"),
        ("-P", "PATIENT", "PatientID=MRN0000000?", "PatientName", "PatientBirthDate"),
        ("-P", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID", "StudyDescription"),
    ]
    for root, level, *keys in cases:
        direct = query(m.port, "MOCK", level, *keys, root=root)
        assert direct, (level, keys)
        assert query(b.port, "BRIDGE", level, *keys, root=root) == direct, (level, keys)
    uid = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID")[0]["StudyInstanceUID"]
    for level, keys in (("SERIES", ("SeriesInstanceUID", "Modality", "NumberOfSeriesRelatedInstances")),
                        ("IMAGE", ("SeriesInstanceUID", "SOPInstanceUID", "InstanceNumber"))):
        direct = query(m.port, "MOCK", level, f"StudyInstanceUID={uid}", *keys)
        assert direct and query(b.port, "BRIDGE", level, f"StudyInstanceUID={uid}", *keys) == direct
    assert b.metrics()['bridge_requests_total{kind="find",caller="FINDSCU"}'] == 6
    # the bridge asked as its own AE title, on associations it kept for the next request
    wait_for(lambda: "from BRIDGE@127.0.0.1" in m.text(), what="the upstream association's end (idle 1 s)")
    assert b.metrics()["bridge_upstream_associations_total"] < 6


def test_cancel_from_the_caller_cancels_the_upstream_search(pacs):
    # a history of 20,000 studies, so that a loaded machine cannot send
    # them all before the cancel arrives (1,000 once could, under ASan)
    m, b = pacs(mock_env={"MOCK_STUDIES": 20000})
    dcmtk("findscu", "-S", "--cancel", "3", "-aec", "BRIDGE", "-k", "QueryRetrieveLevel=STUDY", "-k",
              "StudyDate=20250101-20261231", "-k", "StudyInstanceUID", "127.0.0.1", str(b.port))
    wait_for(lambda: "C-FIND from FINDSCU cancelled" in b.text(), what="the bridge's cancel line")
    # the upstream stopped short of the whole history
    wait_for(lambda: "1 find (" in m.text(), what="mockpacs' association line")
    sent = int(m.text().split("1 find (")[1].split(" ")[0])
    assert sent < 20000


def test_move_relays_each_instance_once_while_the_rest_still_arrive(pacs, storescp):
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 199})
    uid = ct_study(m, 200)
    expected = {a["SOPInstanceUID"] for a in query(m.port, "MOCK", "IMAGE", f"StudyInstanceUID={uid}",
                                                      "SeriesInstanceUID", "SOPInstanceUID")}
    first_file, all_generated = [], []

    def watch():  # when the first instance is at the destination, when mockpacs made the last
        while not all_generated:
            if not first_file and os.listdir(ws.dir):
                first_file.append(time.monotonic())
            if m.status()["instances_retrieved"] >= 200:
                all_generated.append(time.monotonic())
            time.sleep(0.002)
    t = threading.Thread(target=watch)
    t.start()
    started = time.monotonic()
    r, status, counts = move(b.port, "BRIDGE", "WS", uid)
    took = time.monotonic() - started
    t.join(30)
    assert status == "0x0000" and counts["completed"] == 200 and counts["failed"] == 0, r.stdout + r.stderr
    assert len(os.listdir(ws.dir)) == 200 and received_uids(ws.dir) == expected
    # pending answers while it ran: the first after the first instance,
    # then at most one per 200 ms (not one per instance), each with counts
    # that add up to the study
    pending = pending_counts(r.stdout + r.stderr)
    assert pending and pending[0]["completed"] == 1 and len(pending) <= 1 + took / 0.2, (took, pending)
    assert all(sum(p.values()) == 200 for p in pending), pending
    assert [p["completed"] for p in pending] == sorted(p["completed"] for p in pending), pending
    assert first_file and all_generated and first_file[0] < all_generated[0]
    assert "C-MOVE from MOVESCU done: 200 listed, 200 handed on, 0 never arrived" in b.text()
    metrics = b.metrics()
    assert metrics["bridge_instances_relayed_total"] == 200
    assert metrics["bridge_bytes_relayed_total"] >= 200 * 512 * 512 * 2  # the pixels at least


def test_instances_are_matched_to_the_move_that_the_pacs_says_sent_them(pacs, storescp):
    # A C-STORE naming its C-MOVE (Move Originator AE title and Message ID)
    # goes only to the retrieve whose upstream C-MOVE that was: one of an
    # instance a retrieve still waits for, sent for someone else's C-MOVE
    # or for no move of the bridge's, is refused and the retrieve is whole.
    ws = storescp("WS", options=("--sleep-after", "1"))  # one instance a second: the move is slow
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 5}, BRIDGE_WINDOW=1)
    uid = ct_study(m, 6)
    images = query(m.port, "MOCK", "IMAGE", f"StudyInstanceUID={uid}", "SeriesInstanceUID", "SOPInstanceUID",
                   "SOPClassUID", "InstanceNumber")
    last = max(images, key=lambda a: (a["SeriesInstanceUID"], int(a["InstanceNumber"])))
    stray = rawscu.dataset(sop_class=last["SOPClassUID"], sop_uid=last["SOPInstanceUID"], modality="CT")
    answers = {}

    def send_strays():
        # still awaited (storescp names a file <modality>.<SOP Instance UID>; one it
        # is writing now cannot be read yet)
        assert not any(f.endswith("." + last["SOPInstanceUID"]) for f in os.listdir(ws.dir))
        for who, origin in (("another's move", ("ELSEWHERE", 1)), ("no move of the bridge's", ("BRIDGE", 65000))):
            answers[who] = rawscu.store(b.port, stray, sop_class=last["SOPClassUID"], sop_uid=last["SOPInstanceUID"],
                                        calling="MOCK", called="BRIDGE", originator=origin)
    r, status, counts = move_and_meanwhile(b, uid, lambda: os.listdir(ws.dir), send_strays)
    assert answers == {"another's move": 0x0124, "no move of the bridge's": 0x0124}
    assert status == "0x0000" and counts["completed"] == 6 and counts["failed"] == 0, r.stdout + r.stderr
    assert received_uids(ws.dir) == {a["SOPInstanceUID"] for a in images} and len(os.listdir(ws.dir)) == 6
    assert "sent for a C-MOVE of ELSEWHERE, not of the bridge" in b.text()
    assert b.metrics()["bridge_unmatched_stores_total"] == 2


def test_a_session_is_valgrind_clean(pacs, storescp, tmp_path):
    """C-ECHO, C-FIND, a relayed C-MOVE, the same study again from the
    cache, a C-GET, a refused destination, the HTTP API's find and a
    retrieve from the cache, metrics and shutdown, under valgrind (a
    long-running service)."""
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_SITE": "Main MR:MR:1:15", "MOCK_MR_SLICES": 1},
                BRIDGE_CACHE_MB=4, BRIDGE_CACHE_DIR=tmp_path / "cache", BRIDGE_TIMEOUT=120,
                wrapper=VALGRIND)
    dcmtk("echoscu", "-aec", "BRIDGE", "127.0.0.1", str(b.port))
    uids = [a["StudyInstanceUID"] for a in query(b.port, "BRIDGE", "STUDY", "StudyDate=20260101-20261101",
                                                  "StudyInstanceUID")]
    assert len(uids) >= 2
    for _ in range(2):  # the second time from the cache
        r, status, counts = move(b.port, "BRIDGE", "WS", uids[0])
        assert status == "0x0000" and counts["completed"] == 3, r.stdout[-2000:] + r.stderr[-2000:]
        b.wait_text(f"cache: study {uids[0]} complete", timeout=60)
    out = tmp_path / "got"
    out.mkdir()
    dcmtk("getscu", "-S", "-aec", "BRIDGE", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uids[1]}", "127.0.0.1", str(b.port))
    assert len(os.listdir(out)) == 3
    r, status, _ = move(b.port, "BRIDGE", "NOWHERE", uids[1], check=False)
    assert status == "0xa801", r.stdout[-2000:] + r.stderr[-2000:]
    with urllib.request.urlopen(f"http://127.0.0.1:{b.http}/api/find?level=STUDY&StudyInstanceUID={uids[1]}",
                                timeout=60) as answer:
        assert json.load(answer)["count"] == 1
    request = urllib.request.Request(f"http://127.0.0.1:{b.http}/api/retrieve",
                                     data=f"study={uids[1]}&destination=WS".encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        job = json.load(answer)["job"]

    def job_state():
        with urllib.request.urlopen(f"http://127.0.0.1:{b.http}/api/jobs/{job}", timeout=60) as answer:
            return json.load(answer)["state"]
    wait_for(lambda: job_state() != "running", timeout=120, what="the HTTP retrieve's end")
    assert job_state() == "done"
    # the second move, and the HTTP retrieve of the study the C-GET cached
    assert b.metrics()["bridge_cache_hits_total"] == 2
    assert_valgrind_clean(b)


def test_get_returns_the_instances_on_the_callers_association(pacs, tmp_path):
    m, b = pacs()
    uid = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID",
                "NumberOfStudyRelatedInstances")
    uid = max(uid, key=lambda a: int(a["NumberOfStudyRelatedInstances"]))["StudyInstanceUID"]
    direct, relayed = tmp_path / "direct", tmp_path / "relayed"
    for out, port, aec in ((direct, m.port, "MOCK"), (relayed, b.port, "BRIDGE")):
        out.mkdir()
        dcmtk("getscu", "-S", "-aec", aec, "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={uid}", "127.0.0.1", str(port))
    assert os.listdir(direct) and received_uids(relayed) == received_uids(direct)
    assert b.metrics()['bridge_requests_total{kind="get",caller="GETSCU"}'] == 1


def test_unknown_destination_and_callers_not_allowed(pacs, storescp):
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, BRIDGE_ALLOW="MOVESCU,FINDSCU")
    uid = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID")[0]["StudyInstanceUID"]
    r, status, _ = move(b.port, "BRIDGE", "NOWHERE", uid, check=False)
    assert "movedestinationunknown" in (r.stdout + r.stderr).lower()  # 0xA801
    assert "unknown destination 'NOWHERE' refused (0xA801)" in b.text()
    r = dcmtk("findscu", "-S", "-aet", "STRANGER", "-aec", "BRIDGE", "-k", "QueryRetrieveLevel=STUDY", "-k",
              "PatientID=MRN00000002", "127.0.0.1", str(b.port), check=False)
    assert r.returncode != 0 and "reject" in (r.stdout + r.stderr).lower()
    b.wait_text("from STRANGER@127.0.0.1: rejected: calling AE title not allowed")
    assert not os.listdir(ws.dir) and "from BRIDGE" not in m.text()  # the PACS was never asked


def test_pacs_killed_mid_move_fails_the_rest_with_counts(pacs, storescp):
    ws = storescp("WS", options=("--sleep-after", "1"))  # one instance a second: the move is slow
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 39}, BRIDGE_WINDOW=2, BRIDGE_TIMEOUT=10)
    uid = ct_study(m, 40)
    r, status, counts = move_and_meanwhile(b, uid, lambda: os.listdir(ws.dir), lambda: kill(m))
    # a failure status of its own (not 0xB000, which says the destination refused some)
    assert status == "0xa702", r.stdout + r.stderr
    assert 1 <= counts["completed"] < 40 and counts["failed"] >= 1
    assert counts["completed"] + counts["failed"] + (counts["warning"] or 0) == 40
    assert len(os.listdir(ws.dir)) == counts["completed"]
    assert "C-MOVE from MOVESCU done: 40 listed" in b.text() and "upstream broke" in b.text()
    assert "answered 0xA702: the upstream failed" in b.text()


def test_destination_down_mid_move_answers_b000_with_the_failed_count(pacs, storescp):
    ws = storescp("WS", options=("--sleep-after", "1"))
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 19}, BRIDGE_WINDOW=4)
    uid = ct_study(m, 20)
    # storescp answers an instance after its second of sleep: two files, one acknowledged
    r, status, counts = move_and_meanwhile(b, uid, lambda: len(os.listdir(ws.dir)) >= 2, lambda: kill(ws))
    assert status == "0xb000", r.stdout + r.stderr
    assert counts["completed"] >= 1 and counts["failed"] >= 1
    assert counts["completed"] + counts["failed"] == 20


def test_twelve_callers_share_two_upstream_associations(pacs, storescp):
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_PIXELS": "none"}, BRIDGE_MAX_UPSTREAM=2)
    studies = query(m.port, "MOCK", "STUDY", "StudyDate=20261001-20261101", "StudyInstanceUID",
                    "NumberOfStudyRelatedInstances")[:6]
    expected = sum(int(s["NumberOfStudyRelatedInstances"]) for s in studies)
    watch = ConnectionWatch(m.port, m.proc.pid)
    procs = []
    for i, s in enumerate(studies):
        procs.append(subprocess.Popen(
            ["movescu", "-S", "-aet", f"CALLER{i}", "-aec", "BRIDGE", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY",
             "-k", f"StudyInstanceUID={s['StudyInstanceUID']}", "127.0.0.1", str(b.port)], env=NODELAY,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen(
            ["findscu", "-S", "-aet", f"FINDER{i}", "-aec", "BRIDGE", "-k", "QueryRetrieveLevel=STUDY", "-k",
             "StudyDate=20260101-20261101", "-k", "StudyInstanceUID", "127.0.0.1", str(b.port)], env=NODELAY,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outs = [p.communicate(timeout=120)[0].decode() for p in procs]
    most = watch.stop()
    assert all(p.returncode == 0 for p in procs), outs
    assert 1 <= most <= 2, b.metrics()["bridge_upstream_in_use_max"]
    assert len(os.listdir(ws.dir)) == expected
    metrics = b.metrics()
    assert metrics["bridge_upstream_in_use_max"] == 2 and metrics["bridge_upstream_waited_total"] >= 1
    assert "waits for an upstream association" in b.text()


def test_a_move_lists_on_a_second_upstream_association_only_when_one_is_free(pacs, storescp):
    # With a slot free, the upstream's move starts at once and the list of
    # its instances is asked for on a second association meanwhile; with
    # BRIDGE_MAX_UPSTREAM=1, both go over the one association, in turn.
    # Either way every instance arrives once.
    for limit, most in ((4, 2), (1, 1)):
        ws = storescp("WS")
        m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 99, "MOCK_PIXELS": "none"}, BRIDGE_MAX_UPSTREAM=limit)
        uid = ct_study(m, 100)
        expected = {a["SOPInstanceUID"] for a in query(m.port, "MOCK", "IMAGE", f"StudyInstanceUID={uid}",
                                                          "SOPInstanceUID")}
        watch = ConnectionWatch(m.port, m.proc.pid)
        r, status, counts = move(b.port, "BRIDGE", "WS", uid)
        assert watch.stop() == most, (limit, b.metrics())
        assert status == "0x0000" and counts["completed"] == 100 and counts["failed"] == 0, r.stdout + r.stderr
        assert len(os.listdir(ws.dir)) == 100 and received_uids(ws.dir) == expected
        assert b.metrics()["bridge_upstream_in_use_max"] == most


def test_a_move_that_cannot_be_listed_is_answered_c000_while_the_pacs_moves(pacs, storescp):
    # The move starts before the listing: when the listing fails (here the
    # request names neither a study nor a patient), the caller gets 0xC000
    # once the upstream's move has ended, and the next move is relayed.
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 9, "MOCK_PIXELS": "none"})
    uid = ct_study(m, 10)
    r, status, _ = move(b.port, "BRIDGE", "WS", "", check=False)
    assert status == "0xc000", r.stdout[-2000:] + r.stderr[-2000:]
    assert "cannot list the instances (0xC000): the query names neither a study nor a patient" in b.text()
    assert b.metrics()["bridge_upstream_in_use_max"] == 2  # the move on one, the listing on the other
    r, status, counts = move(b.port, "BRIDGE", "WS", uid)
    assert status == "0x0000" and counts["completed"] == 10, r.stdout[-2000:] + r.stderr[-2000:]
    assert len(os.listdir(ws.dir)) == 10


def test_a_pacs_refusing_a_second_association_gets_one_for_a_minute(pacs, storescp):
    # A PACS that takes one association at a time refuses the second: the
    # retrieve lists, then moves, on its one association, and the bridge
    # does not ask for a second one again for a minute.
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 19, "MOCK_PIXELS": "none", "MOCK_MAX_ASSOCIATIONS": 1})
    uid = ct_study(m, 20)
    for _ in range(2):
        shutil.rmtree(ws.dir)
        os.mkdir(ws.dir)
        r, status, counts = move(b.port, "BRIDGE", "WS", uid)
        assert status == "0x0000" and counts["completed"] == 20 and counts["failed"] == 0, r.stdout + r.stderr
        assert len(os.listdir(ws.dir)) == 20
    assert b.text().count("a second upstream association could not be opened") == 1, b.text()
    assert b.metrics()["bridge_upstream_failures_total"] == 1


def gdcmscu(*args):
    return subprocess.run(["gdcmscu", *args], capture_output=True, text=True, env=NODELAY, timeout=120)


def test_gdcmscu_finds_and_moves_through_the_bridge(pacs, tmp_path):
    # Debian 12's gdcmscu aborts after A-RELEASE (see test_mockpacs): judged by its effects
    port = free_port()
    m, b = pacs({"GDCM": ("GDCMSCU", port)})
    expected = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000003", "StudyInstanceUID")
    gdcmscu("--find", "--study", "--studyroot", "--call", "BRIDGE", "--key", "10,20=MRN00000003", "--key", "20,d=",
            "127.0.0.1", str(b.port))
    wait_for(lambda: f"1 find ({len(expected)} matches)" in b.text(), what="the bridge's find line")
    uid = expected[0]["StudyInstanceUID"]
    direct = tmp_path / "direct"
    direct.mkdir()
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(direct), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    out = tmp_path / "gdcm"
    out.mkdir()
    gdcmscu("--move", "--study", "--studyroot", "--call", "BRIDGE", "--aetitle", "GDCMSCU", "--port-scp",
            str(port), "-o", str(out), "--key", f"20,d={uid}", "127.0.0.1", str(b.port))
    assert received_uids(out) == received_uids(direct)


def test_orthanc_queries_and_retrieves_through_the_bridge(pacs, orthanc):
    from tests.dicom.test_orthanc import rest
    dicom = free_port()
    m, b = pacs({"ORTHANC": ("ORTHANC", dicom)})
    o = orthanc("ORTHANC", dicom, {"bridge": ["BRIDGE", "127.0.0.1", b.port]})
    q = rest(o.http, "POST", "/modalities/bridge/query",
             {"Level": "Study", "Query": {"PatientID": "MRN00000005", "StudyInstanceUID": "",
                                          "NumberOfStudyRelatedInstances": ""}})
    answers = rest(o.http, "GET", f"/queries/{q['ID']}/answers")
    expected = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000005", "StudyInstanceUID",
                     "NumberOfStudyRelatedInstances")
    assert len(answers) == len(expected) > 0
    uid = rest(o.http, "GET", f"/queries/{q['ID']}/answers/0/content?simplify")["StudyInstanceUID"]
    total = int(next(e for e in expected if e["StudyInstanceUID"] == uid)["NumberOfStudyRelatedInstances"])
    rest(o.http, "POST", f"/queries/{q['ID']}/answers/0/retrieve", {"TargetAet": "ORTHANC", "Synchronous": True})
    assert len(rest(o.http, "GET", "/instances")) == total
    assert f"C-MOVE from ORTHANC done: {total} listed, {total} handed on" in b.text()


def test_threads_taking_in_the_upstream_yield_to_sending_on(pacs, storescp):
    ws = storescp("WS", options=("--sleep-after", "1"))  # one instance a second: the move is slow
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 5}, BRIDGE_WINDOW=2)
    uid = ct_study(m, 6)
    # the upstream's store thread and the mover: nice 10; the caller's association thread: 0
    r, status, _ = move_and_meanwhile(b, uid, lambda: os.listdir(ws.dir),
                                      lambda: wait_for(lambda: thread_nice_values(b.proc.pid).count(10) == 2,
                                                       what="2 threads at nice 10"))
    assert status == "0x0000", r.stdout[-2000:] + r.stderr[-2000:]
    assert 0 in thread_nice_values(b.proc.pid)  # the listener, the HTTP side
    ws2 = storescp("WS", options=("--sleep-after", "1"))
    m2, plain = pacs({"WS": ("WS", ws2.port)}, {"MOCK_CT_SLICES": 5}, BRIDGE_UPSTREAM_NICE=0, BRIDGE_WINDOW=2)
    seen = set()
    r, status, _ = move_and_meanwhile(plain, ct_study(m2, 6), lambda: len(os.listdir(ws2.dir)) >= 2,
                                      lambda: seen.update(thread_nice_values(plain.proc.pid)))
    assert status == "0x0000" and seen == {0}, r.stdout[-2000:] + r.stderr[-2000:]


def test_bad_configuration_stops_at_start_naming_the_variable(tmp_path):
    from tests.support.bridge import BRIDGE
    base = {"PATH": "/usr/bin:/bin", "BRIDGE_PORT": str(free_port()), "BRIDGE_HTTP_PORT": "0"}
    for env, words in (({"MOD_PACS": "MOCK,127.0.0.1,104"}, "BRIDGE_ALLOW"),
                       ({"BRIDGE_ALLOW": "*"}, "BRIDGE_UPSTREAM"),
                       ({"BRIDGE_ALLOW": "*", "MOD_PACS": "MOCK,127.0.0.1,nope"}, "MOD_PACS"),
                       ({"BRIDGE_ALLOW": "*", "MOD_PACS": "MOCK,127.0.0.1,104", "BRIDGE_MAX_UPSTREAM": "0"},
                        "BRIDGE_MAX_UPSTREAM"),
                       ({"BRIDGE_ALLOW": "*", "MOD_PACS": "MOCK,127.0.0.1,104", "BRIDGE_UPSTREAM_NICE": "20"},
                        "BRIDGE_UPSTREAM_NICE")):
        r = subprocess.run([BRIDGE], env={**base, **env}, capture_output=True, text=True, timeout=30)
        assert r.returncode == 100 and words in r.stderr and r.stderr.count("\n") == 1, (env, r.stderr)


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def test_cache_serves_a_complete_study_without_the_pacs_and_stays_under_its_limit(pacs, storescp, tmp_path):
    ws = storescp("WS")
    cache = tmp_path / "cache"
    # MR studies of 3 instances of 128 KiB: a few fill the 1 MiB cache
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_SITE": "Main MR:MR:1:15", "MOCK_MR_SLICES": 1},
                BRIDGE_CACHE_MB=1, BRIDGE_CACHE_DIR=cache)
    uids = [a["StudyInstanceUID"] for a in query(m.port, "MOCK", "STUDY", "StudyDate=20260101-20261101",
                                                  "StudyInstanceUID")]
    first = uids[0]
    r, status, counts = move(b.port, "BRIDGE", "WS", first)
    assert status == "0x0000" and counts["completed"] == 3
    wait_for(lambda: "cache: study %s complete" % first in b.text(), what="the study complete in the cache")
    asked = m.status()
    for f in os.listdir(ws.dir):
        os.unlink(ws.dir / f)
    r, status, counts = move(b.port, "BRIDGE", "WS", first)
    assert status == "0x0000" and counts["completed"] == 3 and len(os.listdir(ws.dir)) == 3
    now = m.status()  # the PACS was not asked
    assert (now["finds"], now["instances_retrieved"]) == (asked["finds"], asked["instances_retrieved"])
    assert f"study {first} served from the cache (3 instances), the upstream not asked" in b.text()
    assert b.metrics()["bridge_cache_hits_total"] == 1
    limit = 1 << 20
    per_study = folder_bytes(cache / first)
    assert 0 < per_study < limit // 2
    for uid in uids[1:limit // per_study + 3]:  # more than fit
        move(b.port, "BRIDGE", "WS", uid)
        assert folder_bytes(cache) <= limit
    metrics = b.metrics()
    assert metrics["bridge_cache_evictions_total"] >= 1 and metrics["bridge_cache_bytes"] <= limit
    assert not (cache / first).exists()  # the least recently used went first


def test_nothing_is_cached_as_complete_when_the_pacs_dies(pacs, storescp, tmp_path):
    ws = storescp("WS", options=("--sleep-after", "1"))
    cache = tmp_path / "cache"
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 19}, BRIDGE_WINDOW=2, BRIDGE_TIMEOUT=10,
                BRIDGE_CACHE_MB=100, BRIDGE_CACHE_DIR=cache)
    uid = ct_study(m, 20)
    assert move_and_meanwhile(b, uid, lambda: os.listdir(ws.dir), lambda: kill(m))[1] != "0x0000"
    wait_for(lambda: f"cache: study {uid} not complete: not kept" in b.text(), what="the cache's verdict")
    assert not (cache / uid).exists() and b.metrics()["bridge_cache_bytes"] == 0


def test_a_move_the_pacs_refuses_is_refused_to_the_caller(pacs, storescp):
    # mockpacs moves studies, series and images, not whole patients
    ws = storescp("WS")
    m, b = pacs({"WS": ("WS", ws.port)})
    r = dcmtk("movescu", "-d", "-P", "-aec", "BRIDGE", "-aem", "WS", "-k", "QueryRetrieveLevel=PATIENT", "-k",
              "PatientID=MRN00000002", "127.0.0.1", str(b.port), check=False)
    status, counts = move_status(r.stdout + r.stderr)
    assert status and status not in ("0x0000", "0xb000", "0xff00"), r.stdout + r.stderr
    assert not counts["completed"] and not os.listdir(ws.dir)
    assert "the upstream moved nothing" in b.text()


def test_the_timeout_counts_from_the_last_progress(pacs, storescp):
    ws = storescp("WS", options=("--sleep-after", "1"))  # one instance a second
    m, b = pacs({"WS": ("WS", ws.port)}, {"MOCK_CT_SLICES": 4}, BRIDGE_TIMEOUT=2, BRIDGE_WINDOW=1)
    uid = ct_study(m, 5)
    # 5 s in all, longer than BRIDGE_TIMEOUT, but never 2 s without progress
    r, status, counts = move(b.port, "BRIDGE", "WS", uid)
    assert status == "0x0000" and counts["completed"] == 5, r.stdout + r.stderr
    # a PACS that stops sending (SIGSTOP) fails the rest after 2 s without progress
    # (it is then killed: one stopped in the middle of a message would hold
    # the upstream association until its connection ends, see doc/bridge.md)
    for f in os.listdir(ws.dir):
        os.unlink(ws.dir / f)
    stalled = ("nothing arrived for BRIDGE_TIMEOUT (2 s)", "the upstream's C-MOVE failed: C-MOVE: DIMSE No data")

    def stall():
        m.proc.send_signal(signal.SIGSTOP)
        wait_for(lambda: any(w in b.text() for w in stalled), timeout=30, what="the bridge's timeout")
        kill(m)
    r, status, counts = move_and_meanwhile(b, uid, lambda: os.listdir(ws.dir), stall)
    assert status == "0xa702" and counts["failed"] >= 1, r.stdout + r.stderr
