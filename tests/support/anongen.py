"""Instances for the de-identification suites (pydicom): a CT study of two
series whose identity turns up everywhere an anonymizer may miss it (names,
IDs, accession, dates, UIDs in sequences that reference other instances of
the study, private elements and a private sequence, a request sequence),
and the instances lib/anon must quarantine. study() returns what went in,
so a test can look for every original value in the output."""
import os

from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
SAFE_CREATOR, SECRET_CREATOR = "CIRR SAFE", "CIRR SECRET"
ROOT = "1.2.826.0.1.3680043.10.1453"  # a test root: every UID below it is an original


def _uid(*parts):
    return ".".join([ROOT, *map(str, parts)])


class Patient:
    """A patient's identity: every value here is an original that must not
    survive de-identification."""

    def __init__(self, n):
        self.name = f"DOE{n}^JANE^Q"
        self.id = f"PID-{n:06d}"
        self.birth = f"19{50 + n % 40:02d}0{1 + n % 9}1{n % 9}"
        self.other_id = f"MRN{n:07d}"


def _ct(p, study, series, number, ref=None, size=16):
    """One CT instance of series (1 or 2) in study (a dict of its values)."""
    sop = _uid(study["n"], series, number)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = study["date"]
    ds.InstanceCreationDate = study["date"]
    ds.StudyTime = ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = "101500"
    ds.AcquisitionDateTime = study["date"] + "101500"
    ds.AccessionNumber, ds.Modality, ds.Manufacturer = study["accession"], "CT", "CIRR"
    ds.InstitutionName, ds.InstitutionAddress = "St Elsewhere", "1 Hospital Road, Springfield"
    ds.ReferringPhysicianName, ds.StationName = "HOUSE^GREGORY", "CT-ROOM-3"
    ds.StudyDescription, ds.SeriesDescription = "CT HEAD " + p.name, "AXIAL " + p.id
    ds.OperatorsName, ds.PerformingPhysicianName = "NURSE^RATCHED", "WHO^DOCTOR"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = p.name, p.id, p.birth, "F"
    ds.PatientAge, ds.PatientWeight, ds.OtherPatientIDs = "042Y", 71.5, p.other_id
    other = Dataset()
    other.PatientID, other.TypeOfPatientID = p.other_id, "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.DeviceSerialNumber, ds.ProtocolName = "SN-998877", "HEAD ROUTINE " + p.id
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study["uid"], _uid(study["n"], series)
    ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = study["id"], series, number
    ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = study["frame"], ""
    ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, number], [1, 0, 0, 0, 1, 0]
    ds.SliceThickness, ds.KVP, ds.PixelSpacing = 1.0, 120, [0.5, 0.5]
    ds.Laterality, ds.PatientPosition, ds.AcquisitionNumber = "", "HFS", 1
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = -1024, 1, "HU"
    _references(ds, study, ref)
    _request(ds, p, study)
    _private(ds, p)
    ds.Rows = ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = bytes(range(256)) * (size * size * 2 // 256) + bytes(size * size * 2 % 256)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    return ds


def _references(ds, study, ref):
    """Source Image and Referenced Image Sequences naming another instance
    of the study; a Referenced Study Sequence naming the study."""
    if ref:
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = CTImageStorage, ref
        ds.ReferencedImageSequence = Sequence([item])
        src = Dataset()
        src.ReferencedSOPClassUID, src.ReferencedSOPInstanceUID = CTImageStorage, ref
        ds.SourceImageSequence = Sequence([src])
    st = Dataset()
    st.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    st.ReferencedSOPInstanceUID = study["uid"]
    ds.ReferencedStudySequence = Sequence([st])


def _request(ds, p, study):
    req = Dataset()
    req.AccessionNumber, req.RequestedProcedureID = study["accession"], "RP-" + p.id
    req.StudyInstanceUID = study["uid"]
    req.ScheduledProcedureStepID = "SPS-" + p.id
    ds.RequestAttributesSequence = Sequence([req])


def _private(ds, p):
    """A safe private element (kept when safelisted), private elements that
    copy the patient's identity, and a private sequence with a name in it."""
    safe = ds.private_block(0x0019, SAFE_CREATOR, create=True)
    safe.add_new(0x10, "DS", "1.25")
    secret = ds.private_block(0x0009, SECRET_CREATOR, create=True)
    secret.add_new(0x01, "LO", p.name)
    secret.add_new(0x02, "LO", p.id)
    nested = Dataset()
    nested.PatientName = p.name
    secret.add_new(0x03, "SQ", Sequence([nested]))


def study(folder, n=1, per_series=3, size=16, date=None, study_n=None):
    """Write a study of patient n (two series of per_series CT instances;
    each instance of series 2 references one of series 1) into
    folder/series1 and folder/series2. date: its date (YYYYMMDD); study_n:
    another study of the same patient (default n). Returns (patient, study
    dict, {sop uid: path})."""
    p, s = Patient(n), study_n or n
    st = {"n": s, "uid": _uid(s), "frame": _uid(s, 9), "id": f"ST{s:04d}",
          "accession": f"ACC{s:07d}", "date": date or f"2023{1 + n % 12:02d}1{n % 9}"}
    paths = {}
    for series in (1, 2):
        os.makedirs(os.path.join(folder, f"series{series}"), exist_ok=True)
        for i in range(1, per_series + 1):
            ref = _uid(s, 1, i) if series == 2 else None
            ds = _ct(p, st, series, i, ref, size)
            path = os.path.join(folder, f"series{series}", f"i{i:04d}.dcm")
            ds.save_as(path, write_like_original=False)
            paths[str(ds.SOPInstanceUID)] = path
    return p, st, paths


def quarantined(folder, n=90):
    """Two instances lib/anon must quarantine: a CT that says its pixels
    carry burned-in annotation, and a secondary capture. Returns paths."""
    p = Patient(n)
    st = {"n": n, "uid": _uid(n), "frame": _uid(n, 9), "id": "Q", "accession": "Q", "date": "20230101"}
    os.makedirs(folder, exist_ok=True)
    burned = _ct(p, st, 1, 1)
    burned.BurnedInAnnotation = "YES"
    sc = _ct(p, st, 1, 2)
    sc.SOPClassUID = sc.file_meta.MediaStorageSOPClassUID = SECONDARY_CAPTURE
    out = []
    for name, ds in (("burned.dcm", burned), ("sc.dcm", sc)):
        out.append(os.path.join(folder, name))
        ds.save_as(out[-1], write_like_original=False)
    return out


# --- running cirr-anon and reading what it wrote -----------------------------

def key_file(folder, text="project-key-for-the-tests-0001", name="key"):
    """A key file with mode 0600; returns its path."""
    path = os.path.join(folder, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text + "\n")
    return path


def run_anon(program, key, inputs, out, env=None, check=True):
    """cirr-anon --key key inputs... out; returns the CompletedProcess
    (check: exit code 0 expected), after checking stderr for a sanitizer
    report (the ASan build)."""
    import subprocess

    from tests.support.processes import assert_no_sanitizer_report
    e = {k: v for k, v in os.environ.items() if not k.startswith("ANON_")}
    e.update(env or {})
    r = subprocess.run([program, "--key", key, *map(str, inputs), str(out)], env=e, capture_output=True,
                       text=True, timeout=120)
    assert_no_sanitizer_report(r.stderr)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def dicom_files(folder):
    """Every file under folder, sorted."""
    return sorted(os.path.join(d, f) for d, _, files in os.walk(folder) for f in files)


def every_element(ds, depth=0):
    """(depth, element) for every element of ds, nested and private ones
    included, and of its file meta."""
    meta = getattr(ds, "file_meta", None)
    if depth == 0 and meta is not None:
        for el in meta:
            yield depth, el
    for el in ds:
        yield depth, el
        if el.VR == "SQ":
            for item in el.value:
                yield from every_element(item, depth + 1)


# --- Debian's Orthanc as the anchor: /instances/{id}/anonymize ----------------

def orthanc_anonymize(http_port, data, body=b"{}"):
    """Upload one instance (bytes) to the Orthanc on http_port and return
    the bytes of /instances/{id}/anonymize (the seed's way: one call per
    instance)."""
    import json
    import urllib.request

    def call(path, payload):
        req = urllib.request.Request(f"http://127.0.0.1:{http_port}{path}", data=payload, method="POST")
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.read()
    ident = json.loads(call("/instances", data))["ID"]
    return call(f"/instances/{ident}/anonymize", body)
