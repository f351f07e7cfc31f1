"""Debian's Orthanc, with its own configuration on free ports, queries
mockpacs through its REST API and retrieves a study by C-MOVE."""
import json
import urllib.request

from tests.support.dcmtk import NODELAY, dcmtk, find
from tests.support.paths import built
from tests.support.ports import free_port


def rest(port, method, path, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


def orthanc_for(orthanc, mock_port, dicom):
    """The Orthanc these tests use: mockpacs and the get client as its modalities."""
    return orthanc("ORTHANC", dicom, {"mock": ["MOCK", "127.0.0.1", mock_port],
                                      "getclient": ["GETCLIENT", "127.0.0.1", 104]})


def test_orthanc_queries_mockpacs_and_moves_a_study(mock, orthanc):
    dicom = free_port()
    m = mock(MOD_ORTHANC=f"ORTHANC,127.0.0.1,{dicom}")
    o = orthanc_for(orthanc, m.port, dicom)
    q = rest(o.http, "POST", "/modalities/mock/query",
             {"Level": "Study", "Query": {"PatientID": "MRN00000005", "StudyInstanceUID": "",
                                          "NumberOfStudyRelatedInstances": ""}})
    answers = rest(o.http, "GET", f"/queries/{q['ID']}/answers")
    expected = find(m, "STUDY", "PatientID=MRN00000005", "StudyInstanceUID", "NumberOfStudyRelatedInstances")
    assert len(answers) == len(expected) > 0
    content = rest(o.http, "GET", f"/queries/{q['ID']}/answers/0/content?simplify")
    uid = content["StudyInstanceUID"]
    total = int(next(e for e in expected if e["StudyInstanceUID"] == uid)["NumberOfStudyRelatedInstances"])
    rest(o.http, "POST", f"/queries/{q['ID']}/answers/0/retrieve", {"TargetAet": "ORTHANC", "Synchronous": True})
    instances = rest(o.http, "GET", "/instances")
    assert len(instances) == total
    studies = rest(o.http, "GET", "/studies?expand")
    assert [s["MainDicomTags"]["StudyInstanceUID"] for s in studies] == [uid]
    m.wait_text("retrieve (%d sent); released" % total)


GET_CLIENT = built("CIRR_GET_CLIENT", "get_client")


def test_lib_dicom_c_get_from_orthanc_and_mockpacs(mock, orthanc, tmp_path):
    import subprocess
    m = mock()
    dicom = free_port()
    orthanc_for(orthanc, m.port, dicom)  # used through its DICOM port
    uid = find(m, "STUDY", "PatientID=MRN00000006", "StudyInstanceUID")[0]["StudyInstanceUID"]
    # mockpacs serves it to lib/dicom's C-GET
    r = subprocess.run([GET_CLIENT, "127.0.0.1", str(m.port), "MOCK", uid], capture_output=True, text=True,
                       env=NODELAY, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    got = set(lines[:-6])
    assert lines[-6:] == ["completed", str(len(got)), "failed", "0", "status", "0x0000"]
    # Orthanc (an independent SCP) serves the same instances, stored into it first
    src = tmp_path / "src"
    src.mkdir()
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(src), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    # stored with lib/dicom's store-many-files call: one association, the contexts the files need
    r = subprocess.run([GET_CLIENT, "--store", "127.0.0.1", str(dicom), "ORTHANC",
                        *sorted(str(p) for p in src.iterdir())], capture_output=True, text=True, env=NODELAY,
                       timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"stored {len(got)} failed 0", r.stdout + r.stderr
    r = subprocess.run([GET_CLIENT, "127.0.0.1", str(dicom), "ORTHANC", uid], capture_output=True, text=True,
                       env=NODELAY, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    lines = r.stdout.split()
    assert set(lines[:-6]) == got and lines[-6:-4] == ["completed", str(len(got))]
