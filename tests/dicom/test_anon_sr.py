"""cirr-anon's Clean Structured Content option on mockpacs' CT Radiation
Dose SRs (TID 10011): the content tree is kept, cleaned item by item. No
original name, ID, accession, UID, date or free text survives anywhere in
the file, while every CTDIvol and DLP (every number of the tree) and the
code structure are the same before and after, and dciodvfy finds no new
error. Under the Basic Profile alone the tree goes. Retain UIDs keeps the UIDs and only them."""
import glob

import pydicom
import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.dicom.test_anon import dciodvfy_errors
from tests.support import anongen
from tests.support.dcmtk import Storescp, dcmtk, find
from tests.support.mockpacs import Mock
from tests.support.paths import built

ANON = built("CIRR_ANON", "cirr-anon")
IDENTIFYING_VRS = ("PN", "UI", "DA", "DT")
IDENTIFYING_KEYWORDS = ("PatientID", "AccessionNumber", "StudyID", "InstitutionName", "StationName",
                        "DeviceSerialNumber", "TextValue", "OtherPatientIDs", "PerformedProcedureStepID")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The dose SR files of two CT studies from mockpacs (moved to a storescp)."""
    tmp = tmp_path_factory.mktemp("sr")
    ws = Storescp(tmp, "WS")
    started = each_started(lambda cls, *a, **kw: cls(tmp, *a, **kw), stopped_cleanly)
    try:
        m = next(started)(Mock, MOCK_DOSE_REPORTS="true", MOCK_CT_SLICES=2, MOCK_PIXELS="none",
                          MOD_WS=f"WS,127.0.0.1,{ws.port}")
        studies = find(m, "STUDY", "ModalitiesInStudy=CT", "StudyDate=20261001-20261101", "StudyInstanceUID")[:2]
        assert len(studies) == 2
        for s in studies:
            dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "WS", "-k", "QueryRetrieveLevel=STUDY", "-k",
                  f"StudyInstanceUID={s['StudyInstanceUID']}", "127.0.0.1", str(m.port))
        files = sorted(glob.glob(str(ws.dir / "SR*")))
        assert len(files) == 2
        yield files, tmp
    finally:
        ws.stop()
        for _ in started:
            pass


def original_values(path):
    """Every value of the report that identifies: person names, UIDs (not
    the standard's own), dates, IDs, free text; at any depth."""
    values = set()
    for _, el in anongen.every_element(pydicom.dcmread(path)):
        if el.VR == "SQ" or el.value in (None, "") or el.keyword == "ImplementationClassUID":  # the writer's
            continue
        if el.VR in IDENTIFYING_VRS or el.keyword in IDENTIFYING_KEYWORDS:
            for v in (el.value if el.VM > 1 else [el.value]):
                text = str(v).strip()
                if len(text) >= 4 and not text.startswith("1.2.840.10008."):
                    values.add(text)
    return values


def tree(ds, depth=0):
    """The content tree's shape: (depth, value type, concept code, numbers)."""
    out = []
    for item in ds.get("ContentSequence", []):
        name = item.ConceptNameCodeSequence[0].CodeValue if "ConceptNameCodeSequence" in item else ""
        numbers = [str(m.NumericValue) for m in item.get("MeasuredValueSequence", [])]
        codes = [c.CodeValue for c in item.get("ConceptCodeSequence", [])]
        out.append((depth, item.ValueType, name, tuple(numbers), tuple(codes)))
        out.extend(tree(item, depth + 1))
    return out


def doses(ds):
    """Every (concept meaning, number) of the tree: CTDIvol, DLP, totals."""
    return [(n, v) for _, _, n, vs, _ in tree(ds) for v in vs]


def anonymized(files, tmp, name, *flags):
    """cirr-anon with flags over files into tmp/name: [(input, output)]."""
    key = anongen.key_file(str(tmp), name=f"key-{name}")
    anongen.run_anon(ANON, key, [*flags, *files], tmp / name)  # getopt takes the flags anywhere
    out = anongen.dicom_files(tmp / name)
    assert len(out) == len(files)
    if len(files) == 1:
        return [(files[0], out[0])]
    by_dose = {tuple(doses(pydicom.dcmread(f))): f for f in files}  # the doses tell the reports apart
    return [(by_dose[tuple(doses(pydicom.dcmread(o)))], o) for o in out]


def test_clean_structured_content_keeps_the_doses_and_no_identity(reports):
    files, tmp = reports
    pairs = anonymized(files, tmp, "clean", "--clean-structured-content")
    for before, after in pairs:
        old, new = pydicom.dcmread(before), pydicom.dcmread(after)
        assert tree(new) == tree(old)  # structure, codes and numbers as they were
        assert any(n == "113830" for n, _ in doses(new)) and any(n == "113838" for n, _ in doses(new))
        raw = open(after, "rb").read()
        for value in original_values(before):
            assert value.encode() not in raw, f"{value!r} survives in {after}"
        for _, el in anongen.every_element(new):
            if el.keyword in ("TextValue", "PersonName"):
                assert el.value == "ANONYMIZED", el
            if el.keyword == "DateTime":
                assert el.value == "19000101000000", el
        assert not dciodvfy_errors(after) - dciodvfy_errors(before)  # the header and the items stay valid
        assert new.ContentDate == "19000101" and "ReferencedPerformedProcedureStepSequence" in new
        methods = [c.CodeValue for c in new.DeidentificationMethodCodeSequence]
        assert methods == ["113100", "113104"]


def test_basic_profile_alone_removes_the_tree(reports):
    files, tmp = reports
    for _, after in anonymized(files[:1], tmp, "basic"):
        ds = pydicom.dcmread(after)
        assert "ContentSequence" not in ds
        assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100"]


def test_retain_uids_keeps_the_uids_and_only_them(reports):
    files, tmp = reports
    for before, after in anonymized(files, tmp, "uids", "--clean-structured-content", "--retain-uids"):
        old, new = pydicom.dcmread(before), pydicom.dcmread(after)
        for kw in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            assert new[kw].value == old[kw].value
        assert new.file_meta.MediaStorageSOPInstanceUID == old.SOPInstanceUID
        olds = {str(el.value) for _, el in anongen.every_element(old) if el.VR == "UI"}
        news = {str(el.value) for _, el in anongen.every_element(new) if el.VR == "UI"}
        assert olds <= news
        assert new.PatientID != old.PatientID and new.PatientName != old.PatientName
        assert "113110" in [c.CodeValue for c in new.DeidentificationMethodCodeSequence]
