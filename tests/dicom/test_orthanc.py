"""Debian's Orthanc, with its own configuration on free ports, queries
mockpacs through its REST API and retrieves a study by C-MOVE."""
import json
import os
import time
import urllib.request

import pytest

from conftest import Process, NODELAY, find, free_port, wait_port


def rest(port, method, path, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


@pytest.fixture
def orthanc(tmp_path):
    started = []

    def start(mock_port, dicom):
        http = free_port()
        cfg = {"Name": "interop", "DicomAet": "ORTHANC", "DicomPort": dicom, "HttpPort": http,
               "StorageDirectory": str(tmp_path / "orthanc-db"), "IndexDirectory": str(tmp_path / "orthanc-db"),
               "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "Plugins": [],
               "DicomModalities": {"mock": ["MOCK", "127.0.0.1", mock_port]}}
        path = tmp_path / "orthanc.json"
        path.write_text(json.dumps(cfg))
        p = Process(["/usr/sbin/Orthanc", str(path)], NODELAY, str(tmp_path / "orthanc.log"))
        wait_port(http, 60)
        p.http, p.dicom = http, dicom
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def test_orthanc_queries_mockpacs_and_moves_a_study(mock, orthanc):
    dicom = free_port()
    m = mock(MOD_ORTHANC=f"ORTHANC,127.0.0.1,{dicom}")
    o = orthanc(m.port, dicom)
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
    assert "retrieve (%d sent); released" % total in m.text()
