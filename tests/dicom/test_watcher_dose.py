"""CT dose reports end to end: mockpacs makes a CT Radiation Dose SR per
CT study (dciodvfy-clean, consistent with the study's series), Orthanc
stores them, and the watcher's events carry the dashboards' fields with
the very values the SR holds (read independently with pydicom)."""
import glob
import io
import json
import subprocess
import urllib.request

import pydicom
import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.support.dcmtk import Storescp, dcmtk, find
from tests.support.mockpacs import Mock
from tests.support.watcher import Watcher, hec_double, stable_orthanc, wait_events

DOSE_ROUTE = "dose: orthanc:instances where Modality=SR -> index:dose_reports"


@pytest.fixture
def started(tmp_path):
    """Starts a Mock or a Watcher (the class first, then its arguments)."""
    yield from each_started(lambda cls, *a, **kw: cls(tmp_path, *a, **kw), stopped_cleanly)


def items(seq, meaning):
    """The content items of seq whose concept name means `meaning`."""
    return [i for i in seq if i.ConceptNameCodeSequence[0].CodeMeaning == meaning]


def one(seq, *path):
    for meaning in path[:-1]:
        seq = items(seq, meaning)[0].ContentSequence
    return items(seq, path[-1])[0]


def number(item):
    return float(item.MeasuredValueSequence[0].NumericValue)


def test_mockpacs_dose_reports_are_valid_and_agree_with_the_series(started, tmp_path):
    ws = Storescp(tmp_path, "WS")
    try:
        m = started(Mock, MOCK_DOSE_REPORTS="true", MOCK_CT_SLICES=4, MOD_WS=f"WS,127.0.0.1,{ws.port}")
        study = find(m, "STUDY", "ModalitiesInStudy=CT", "StudyDate=20261001-20261101", "StudyInstanceUID",
                     "NumberOfStudyRelatedSeries")[0]
        assert study["NumberOfStudyRelatedSeries"] == "3"
        dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY", "-k",
              f"StudyInstanceUID={study['StudyInstanceUID']}", "127.0.0.1", str(m.port))
        [sr] = glob.glob(str(ws.dir / "SR*"))
        v = subprocess.run(["dciodvfy", sr], capture_output=True, text=True)
        assert not [line for line in (v.stdout + v.stderr).splitlines() if line.startswith("Error")]
        ds = pydicom.dcmread(sr)
        assert ds.ConceptNameCodeSequence[0].CodeMeaning == "X-Ray Radiation Dose Report"
        assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10011"
        acquisitions = items(ds.ContentSequence, "CT Acquisition")
        assert len(acquisitions) == 2  # the scout and the axial series
        lengths = [number(one(a.ContentSequence, "CT Acquisition Parameters", "Scanning Length"))
                   for a in acquisitions]
        assert lengths[1] == 4 * 5.0  # 4 axial slices of 5 mm
        dlps = [number(one(a.ContentSequence, "CT Dose", "DLP")) for a in acquisitions]
        ctdis = [number(one(a.ContentSequence, "CT Dose", "Mean CTDIvol")) for a in acquisitions]
        assert all(abs(d - c * l / 10) < 0.01 for d, c, l in zip(dlps, ctdis, lengths))
        total = number(one(ds.ContentSequence, "CT Accumulated Dose Data", "CT Dose Length Product Total"))
        assert abs(total - sum(dlps)) < 1e-6
    finally:
        ws.stop()


def test_mockpacs_caps_its_answers(started):
    m = started(Mock, MOCK_MAX_ANSWERS=50)
    assert len(find(m, "STUDY", "StudyDate=20260101-20261101", "StudyInstanceUID")) == 50


def sr_values(orthanc, sop_uid):
    """Mean CTDIvol list, DLP list and the DLP total of an SR in Orthanc,
    from its file (pydicom)."""
    base = f"http://127.0.0.1:{orthanc.http}"
    req = urllib.request.Request(f"{base}/tools/lookup", data=sop_uid.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        oid = json.loads(r.read())[0]["ID"]
    with urllib.request.urlopen(f"{base}/instances/{oid}/file", timeout=10) as r:
        ds = pydicom.dcmread(io.BytesIO(r.read()))
    acq = items(ds.ContentSequence, "CT Acquisition")
    return ([number(one(a.ContentSequence, "CT Dose", "Mean CTDIvol")) for a in acq],
            [number(one(a.ContentSequence, "CT Dose", "DLP")) for a in acq],
            number(one(ds.ContentSequence, "CT Accumulated Dose Data", "CT Dose Length Product Total")))


@pytest.mark.parametrize("tags", ["full", "main"])
def test_dose_reports_stored_in_orthanc_are_indexed_with_the_sr_values(started, tmp_path, tags):
    orthanc = stable_orthanc(tmp_path)
    hec = hec_double(indexes=["dose_reports"])
    try:
        m = started(Mock, MOCK_DOSE_REPORTS="true", MOCK_CT_SLICES=2, MOCK_PIXELS="none",
                    MOD_ORTHANC=f"ORTHANC,127.0.0.1,{orthanc.dicom}")
        studies = find(m, "STUDY", "ModalitiesInStudy=CT", "StudyDate=20261001-20261101", "StudyInstanceUID")[:3]
        for s in studies:
            dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "ORTHANC", "-k", "QueryRetrieveLevel=SERIES", "-k",
                  f"StudyInstanceUID={s['StudyInstanceUID']}", "-k", f"SeriesInstanceUID={s['StudyInstanceUID']}.3",
                  "127.0.0.1", str(m.port))
        started(Watcher, DOSE_ROUTE, hec=hec, orthanc=orthanc, WATCH_ORTHANC_TAGS=tags)
        events = wait_events(hec, "dose_reports", 3)
        assert len({e["event"]["SOPInstanceUID"] for e in events}) == 3
        for e in events:
            report = e["event"]["X-Ray Radiation Dose Report"]
            assert "ContentSequence" not in e["event"]
            ctdi, dlp, total = sr_values(orthanc, e["event"]["SOPInstanceUID"])
            acquisitions = report["CT Acquisition"]
            assert isinstance(acquisitions, list) and len(acquisitions) == len(ctdi) == 2
            assert [a["CT Dose"]["Mean CTDIvol"] for a in acquisitions] == ctdi
            assert [a["CT Dose"]["DLP"] for a in acquisitions] == dlp
            assert report["CT Accumulated Dose Data"]["CT Dose Length Product Total"] == total
            assert report["CT Accumulated Dose Data"]["Total Number of Irradiation Events"] == 2
            assert acquisitions[1]["CT Acquisition Type"] == "Spiral Acquisition"
            assert acquisitions[1]["CT Dose"]["CTDIw Phantom Type"].startswith("IEC ")
            assert acquisitions[1]["CT Acquisition Parameters"]["CT X-Ray Source Parameters"]["KVP"] == 120
    finally:
        hec.close()
        orthanc.stop()
