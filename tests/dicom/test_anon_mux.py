"""The mux's per-destination de-identification options (issue 14):
MUX_DEST_<NAME>_ANON_OPTIONS names lib/anon's options for one
destination (two destinations of one mux, one study, two option sets), is
checked at start (an unknown name: exit 100 naming the variable), and the
older MUX_DEST_<NAME>_ANON_RETAIN_DATES still works; mockpacs' dose
reports keep their doses where structured-content is named. Peers: DCMTK's
storescu and storescp, mockpacs."""
import subprocess

import pydicom

from tests.dicom.test_anon_sr import doses, reports  # noqa: F401 (reports: the module's fixture)
from tests.dicom.test_mux_transforms import received, storescu
from tests.support import anongen
from tests.support.mux import MUX


def by_instance_number(files):
    return {int(pydicom.dcmread(f, stop_before_pixels=True).InstanceNumber): pydicom.dcmread(f) for f in files}


def methods(ds):
    return [c.CodeValue for c in ds.DeidentificationMethodCodeSequence]


def test_each_destination_gets_its_own_options(mux, storescp, tmp_path):
    key = anongen.key_file(str(tmp_path))
    patient, study, paths = anongen.study(str(tmp_path / "study"), n=11, per_series=2)
    kept, basic = storescp("KEPT"), storescp("BASIC")
    m = mux({"KEPT": ("KEPT", kept.port), "BASIC": ("BASIC", basic.port)},
            MUX_DEST_KEPT_ANONYMIZE=key, MUX_DEST_KEPT_ANON_OPTIONS="uids, Dates,device",
            MUX_DEST_BASIC_ANONYMIZE=key)
    storescu(m.port, paths.values())
    original = by_instance_number(paths.values())
    with_options = by_instance_number(received(kept.dir, 4, "four instances at KEPT"))
    without = by_instance_number(received(basic.dir, 4, "four instances at BASIC"))
    assert with_options.keys() == without.keys() == original.keys()
    for n, ds in with_options.items():
        o, b = original[n], without[n]
        assert methods(ds) == ["113100", "113107", "113109", "113110"]
        assert methods(b) == ["113100"]
        # uids: kept at KEPT, mapped at BASIC
        for kw in ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID", "FrameOfReferenceUID"):
            assert ds[kw].value == o[kw].value and b[kw].value != o[kw].value, kw
        # dates: shifted at KEPT, emptied at BASIC
        assert ds.StudyDate not in ("", study["date"]) and b.StudyDate == ""
        # device: kept at KEPT only
        assert ds.StationName == o.StationName and ds.DeviceSerialNumber == o.DeviceSerialNumber
        assert b.StationName != o.StationName
        # what no option keeps is gone at both
        for d in (ds, b):
            assert d.PatientID != patient.id and d.PatientName != patient.name
            assert d.AccessionNumber != study["accession"]


def test_unknown_option_stops_the_mux_naming_the_variable(tmp_path):
    key = anongen.key_file(str(tmp_path))
    env = {"PATH": "/usr/bin:/bin", "MUX_ALLOW": "*", "MUX_SPOOL": str(tmp_path / "spool"),
           "MUX_DEST_R": "R,127.0.0.1,1", "MUX_DEST_R_ANONYMIZE": key, "MUX_DEST_R_ANON_OPTIONS": "dates,colours"}
    r = subprocess.run([MUX], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 100, r.stderr
    assert "MUX_DEST_R_ANON_OPTIONS" in r.stderr and "colours" in r.stderr and len(r.stderr.splitlines()) == 1
    # checked as well when the destination is not anonymized (a setting that would do nothing)
    r = subprocess.run([MUX], env={**env, "MUX_DEST_R_ANONYMIZE": ""}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 100 and "MUX_DEST_R_ANON_OPTIONS" in r.stderr
    r = subprocess.run([MUX], env={**env, "MUX_DEST_R_ANON_OPTIONS": "", "MUX_DEST_R_ANON_RETAIN_DATES": "maybe"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100 and "MUX_DEST_R_ANON_RETAIN_DATES" in r.stderr


def test_dose_reports_keep_their_doses_where_structured_content_is_named(mux, storescp, reports):
    """mockpacs' CT dose SRs through one mux: the destination with
    structured-content gets every CTDIvol and DLP, the Basic Profile one no
    content tree."""
    files, tmp = reports
    key = anongen.key_file(str(tmp), name="key-mux")
    clean, basic = storescp("CLEAN"), storescp("BASIC")
    m = mux({"CLEAN": ("CLEAN", clean.port), "BASIC": ("BASIC", basic.port)},
            MUX_DEST_CLEAN_ANONYMIZE=key, MUX_DEST_CLEAN_ANON_OPTIONS="structured-content",
            MUX_DEST_BASIC_ANONYMIZE=key)
    storescu(m.port, files)
    before = sorted(doses(pydicom.dcmread(f)) for f in files)
    assert sorted(doses(ds) for ds in map(pydicom.dcmread, received(clean.dir, 2, "two SRs at CLEAN"))) == before
    for ds in map(pydicom.dcmread, received(basic.dir, 2, "two SRs at BASIC")):
        assert "ContentSequence" not in ds and methods(ds) == ["113100"]
