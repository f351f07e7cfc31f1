"""mockpacs against independent peers (issue 4): DCMTK, GDCM, Orthanc,
dciodvfy and pydicom; determinism; bad input."""
import glob
import os
import socket
import subprocess
import time

import pydicom

from tests.support.dcmtk import NODELAY, dcmtk, find
from tests.support.ports import free_port
from tests.support.processes import VALGRIND, assert_valgrind_clean


def test_echo_and_study_queries(mock):
    m = mock()
    dcmtk("echoscu", "-aec", "MOCK", "127.0.0.1", str(m.port))
    by_patient = find(m, "STUDY", "PatientID=MRN00000001", "StudyInstanceUID", "PatientName", "StudyDate")
    assert by_patient and all(a["PatientName"] for a in by_patient)
    ranged = find(m, "STUDY", "StudyDate=20261001-20261015", "StudyInstanceUID", "ModalitiesInStudy")
    assert ranged and all("20261001" <= a["StudyDate"] <= "20261015" for a in ranged)
    # ~1000 studies over 365 days: about 2.7 a day
    assert 20 <= len(ranged) <= 70
    wild = find(m, "STUDY", "PatientName=GARCIA*", "StudyInstanceUID")
    assert wild and all(a["PatientName"].startswith("GARCIA^") for a in wild)
    one = find(m, "STUDY", "PatientName=?ARCIA^J*", "StudyInstanceUID")
    assert one and all(a["PatientName"].startswith("GARCIA^J") for a in one)
    # Patient Root, PATIENT level
    patients = find(m, "PATIENT", "PatientID=MRN0000000?", "PatientName", "PatientBirthDate", root="-P")
    assert 1 <= len(patients) <= 9 and all(a["PatientBirthDate"] for a in patients)


def test_series_and_image_levels_count_what_move_sends(mock, storescp):
    ws = storescp("WS")
    m = mock(MOD_WS=f"WS,127.0.0.1,{ws.port}")
    study = find(m, "STUDY", "StudyDate=20261020-20261031", "ModalitiesInStudy=CT", "StudyInstanceUID",
                 "NumberOfStudyRelatedInstances")[0]
    uid, total = study["StudyInstanceUID"], int(study["NumberOfStudyRelatedInstances"])
    series = find(m, "SERIES", f"StudyInstanceUID={uid}", "SeriesInstanceUID", "NumberOfSeriesRelatedInstances")
    assert sum(int(s["NumberOfSeriesRelatedInstances"]) for s in series) == total
    images = find(m, "IMAGE", f"StudyInstanceUID={uid}", f"SeriesInstanceUID={series[1]['SeriesInstanceUID']}",
                  "SOPInstanceUID", "InstanceNumber")
    assert len(images) == int(series[1]["NumberOfSeriesRelatedInstances"])
    dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    files = os.listdir(ws.dir)
    assert len(files) == total
    got = {str(pydicom.dcmread(os.path.join(ws.dir, f)).SOPInstanceUID) for f in files}
    assert {i["SOPInstanceUID"] for i in images} <= got


def test_get_with_dcmtk_and_unknown_move_destination(mock, tmp_path):
    m = mock()
    uid = find(m, "STUDY", "PatientID=MRN00000002", "StudyInstanceUID")[0]["StudyInstanceUID"]
    out = tmp_path / "get"
    out.mkdir()
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    assert len(os.listdir(out)) > 0
    r = dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "NOWHERE", "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port), check=False)
    assert "refused: movedestinationunknown" in (r.stdout + r.stderr).lower()  # DCMTK's name for 0xA801
    assert "unknown destination 'NOWHERE'" in m.text()


def gdcmscu(*args):
    return subprocess.run(["gdcmscu", *args], capture_output=True, text=True, env=NODELAY, timeout=120)


def test_gdcmscu_echo_find_and_move(mock, storescp, tmp_path):
    # Debian 12's gdcmscu (GDCM 3.0.21) aborts ("ProtocolStream as nullptr")
    # when it handles the A-RELEASE-RP, after its operation is done: it does
    # so against DCMTK's own storescp too (checked first). So its effects
    # are what is checked: the association's log line, and the files moved.
    control = storescp("ANY")
    gdcmscu("--echo", "--call", "ANY", "127.0.0.1", str(control.port))
    port = free_port()
    m = mock(MOD_GDCM=f"GDCMSCU,127.0.0.1,{port}")
    gdcmscu("--echo", "--call", "MOCK", "127.0.0.1", str(m.port))
    gdcmscu("--find", "--study", "--studyroot", "--call", "MOCK", "--key", "10,20=MRN00000003",
            "--key", "20,d=", "127.0.0.1", str(m.port))
    expected = len(find(m, "STUDY", "PatientID=MRN00000003", "StudyInstanceUID"))
    uid = find(m, "STUDY", "PatientID=MRN00000003", "StudyInstanceUID")[0]["StudyInstanceUID"]
    total = int(find(m, "STUDY", f"StudyInstanceUID={uid}", "NumberOfStudyRelatedInstances")[0]
                ["NumberOfStudyRelatedInstances"])
    out = tmp_path / "gdcm"
    out.mkdir()
    gdcmscu("--move", "--study", "--studyroot", "--call", "MOCK", "--aetitle", "GDCMSCU", "--port-scp",
            str(port), "-o", str(out), "--key", f"20,d={uid}", "127.0.0.1", str(m.port))
    log = m.text()
    assert "from GDCMSCU@127.0.0.1: 1 echo, 0 stored" in log and "; released" in log
    assert f"1 find ({expected} matches)" in log
    assert f"1 retrieve ({total} sent); released" in log
    assert len(os.listdir(out)) == total


def test_every_generated_iod_passes_dciodvfy_and_pydicom(mock, tmp_path):
    m = mock(MOCK_SITE="Main CT:CT:3:15;Main MR:MR:2:4;Main CR:CR:2:10;Main DX:DX:2:8")
    seen = set()
    for modality in ("CT", "MR", "CR", "DX"):
        uid = find(m, "STUDY", f"ModalitiesInStudy={modality}", "StudyDate=20261001-20261101",
                   "StudyInstanceUID")[0]["StudyInstanceUID"]
        out = tmp_path / modality
        out.mkdir()
        dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
        for f in sorted(glob.glob(str(out / "*"))):
            v = subprocess.run(["dciodvfy", f], capture_output=True, text=True)
            errors = [l for l in (v.stdout + v.stderr).splitlines() if l.startswith("Error")]
            assert not errors, (f, errors)
            ds = pydicom.dcmread(f)
            assert ds.Modality == modality and len(ds.PixelData) == ds.Rows * ds.Columns * 2
            seen.add((modality, ds.Rows))
    assert seen == {("CT", 512), ("MR", 256), ("CR", 2048), ("DX", 2048)}


def test_same_seed_same_answers_and_bytes(mock, tmp_path):
    a, b = mock(MOCK_SEED=42), mock(MOCK_SEED=42)
    keys = ("StudyDate=20260601-20260701", "StudyInstanceUID", "PatientName", "PatientID", "StudyTime",
            "AccessionNumber", "StudyDescription", "ModalitiesInStudy")
    answers_a, answers_b = find(a, "STUDY", *keys), find(b, "STUDY", *keys)
    assert answers_a and answers_a == answers_b
    c = mock(MOCK_SEED=43)
    assert find(c, "STUDY", *keys) != answers_a
    uid = answers_a[0]["StudyInstanceUID"]
    bytes_of = []
    for m in (a, b):
        out = tmp_path / f"det-{m.port}"
        out.mkdir()
        dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
        bytes_of.append({f: open(os.path.join(out, f), "rb").read() for f in os.listdir(out)})
    assert bytes_of[0] and bytes_of[0] == bytes_of[1]


def test_store_then_find_and_retrieve_what_was_stored(mock, tmp_path, storescp):
    src = mock()
    out = tmp_path / "src"
    out.mkdir()
    uid = find(src, "STUDY", "PatientID=MRN00000004", "StudyInstanceUID")[0]["StudyInstanceUID"]
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(src.port))
    ws = storescp("WS2")
    archive = mock(MOCK_STUDIES=0, MOD_WS2=f"WS2,127.0.0.1,{ws.port}")
    files = sorted(glob.glob(str(out / "*")))
    dcmtk("storescu", "-aec", "MOCK", "127.0.0.1", str(archive.port), *files)
    assert archive.status()["stored"] == len(files)
    found = find(archive, "STUDY", f"StudyInstanceUID={uid}", "PatientID")
    assert found == [{"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": uid, "PatientID": "MRN00000004"}]
    dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "WS2", "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(archive.port))
    assert len(os.listdir(ws.dir)) == len(files)


def test_push_mode_sends_new_studies(mock, storescp):
    ws = storescp("ARCHIVE")
    m = mock(MOD_ARCHIVE=f"ARCHIVE,127.0.0.1,{ws.port}", MOCK_PUSH="ARCHIVE", MOCK_PUSH_SPEEDUP=36000,
             MOCK_PUSH_LIMIT=3, MOCK_SITE="Main MR:MR:1:10", MOCK_MR_SLICES=5)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and m.status()["studies_pushed"] < 3:
        time.sleep(0.1)
    assert m.status()["studies_pushed"] == 3
    assert len(os.listdir(ws.dir)) == 3 * 3 * 5  # 3 studies x 3 series x 5 slices
    assert m.text().count("sent to ARCHIVE") == 3


def test_status_page_and_health(mock):
    import urllib.request
    m = mock()
    dcmtk("echoscu", "-aec", "MOCK", "127.0.0.1", str(m.port))
    with urllib.request.urlopen(f"http://127.0.0.1:{m.http}/health", timeout=5) as r:
        assert r.status == 200 and r.read() == b"ok\n"
    s = m.status()
    assert s["studies"] == 1000 and s["associations"] >= 1 and s["last_activity"] > 0


def test_unknown_calling_aet_is_rejected(mock):
    m = mock(MOCK_ALLOW="GOODSCU")
    r = dcmtk("echoscu", "-aet", "BADSCU", "-aec", "MOCK", "127.0.0.1", str(m.port), check=False)
    assert r.returncode != 0
    dcmtk("echoscu", "-aet", "GOODSCU", "-aec", "MOCK", "127.0.0.1", str(m.port))
    m.wait_text("from BADSCU@127.0.0.1: rejected: calling AE title not allowed")


def test_bad_input_each_gets_a_line_and_service_continues(mock, tmp_path):
    m = mock()
    # a query without a Query/Retrieve Level
    r = dcmtk("findscu", "-v", "-S", "-aec", "MOCK", "-k", "PatientID=X", "127.0.0.1", str(m.port), check=False)
    assert "datasetdoesnotmatchsopclass" in (r.stdout + r.stderr).lower()  # 0xA900
    assert "C-FIND from FINDSCU: no valid Query/Retrieve Level ('')" in m.text()
    # an unsupported SOP class: its presentation context is refused
    odd = tmp_path / "odd.dcm"
    ds = pydicom.Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.PatientID = "1.2.3.4.5.6", "1.2.3.4.5.6.7", "X"
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.save_as(str(odd), write_like_original=False)
    r = dcmtk("storescu", "-aec", "MOCK", "127.0.0.1", str(m.port), str(odd), check=False)
    assert r.returncode != 0 or "no presentation context" in (r.stdout + r.stderr).lower()
    # a peer that drops the connection in the middle of a transfer (CR: 8 MiB each)
    uid = find(m, "STUDY", "ModalitiesInStudy=CR", "StudyInstanceUID")[0]["StudyInstanceUID"]
    out = tmp_path / "drop"
    out.mkdir()
    p = subprocess.Popen(["getscu", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
                          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port)], env=NODELAY,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.15)
    p.kill()
    p.wait()
    # garbage instead of an A-ASSOCIATE-RQ
    s = socket.create_connection(("127.0.0.1", m.port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    s.close()
    time.sleep(0.5)
    dcmtk("echoscu", "-aec", "MOCK", "127.0.0.1", str(m.port))  # still serving
    log = m.text()
    assert "association" in log and ("aborted" in log or "ended:" in log)


def test_a_session_is_valgrind_clean(mock, storescp, tmp_path):
    ws = storescp("WS")
    m = mock(wrapper=VALGRIND, MOD_WS=f"WS,127.0.0.1,{ws.port}", MOCK_STUDIES=200, MOCK_CT_SLICES=3)
    dcmtk("echoscu", "-aec", "MOCK", "127.0.0.1", str(m.port))
    uid = find(m, "STUDY", "ModalitiesInStudy=CT", "StudyInstanceUID")[0]["StudyInstanceUID"]
    find(m, "IMAGE", f"StudyInstanceUID={uid}", "SOPInstanceUID")
    dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    out = tmp_path / "vg-get"
    out.mkdir()
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    dcmtk("storescu", "-aec", "MOCK", "127.0.0.1", str(m.port), *sorted(glob.glob(str(out / "*"))))
    assert_valgrind_clean(m)
