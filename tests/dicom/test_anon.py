"""cirr-anon (lib/anon) on a CT study whose identity is everywhere an
anonymizer may miss it (tests/support/anongen.py): the output passes
dciodvfy with no new errors; no original name, ID, accession, UID or
unshifted date survives in any element or byte; the same key gives the
same pseudonyms in two processes and for one series done later, another
key other ones; references resolve inside the anonymized study; private
elements go unless safelisted; quarantine; the key file's checks."""
import os
import re
import subprocess
import threading

import pydicom
import pytest

from tests.support import anongen
from tests.support.paths import built

ANON = built("CIRR_ANON", "cirr-anon")
IDENTITY_TAGS = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID",
                 "PatientID", "PatientName", "AccessionNumber", "StudyID")


@pytest.fixture
def study(tmp_path):
    """(patient, study values, {sop: path}, folder) of a 2 x 3 instance study."""
    folder = tmp_path / "in"
    p, st, paths = anongen.study(str(folder), n=7)
    return p, st, paths, folder


def originals(p, st, paths):
    """Every original identifying value, as text."""
    values = {p.name, p.id, p.other_id, p.birth, st["accession"], st["id"], st["uid"], st["frame"],
              *p.name.split("^")[:1], *paths}
    for path in paths.values():
        ds = pydicom.dcmread(path)
        values.add(str(ds.SeriesInstanceUID))
    return values


def dciodvfy_errors(path):
    """dciodvfy's error lines, without the values that de-identification changes."""
    out = subprocess.run(["dciodvfy", path], capture_output=True, text=True).stderr
    return {re.sub(r"<[^>]*\d[^>]*>", "<>", line) for line in out.splitlines() if line.startswith("Error")}


def by_position(folder):
    """{(series number, instance number): dataset} of every file under folder."""
    out = {}
    for f in anongen.dicom_files(folder):
        ds = pydicom.dcmread(f)
        out[(int(ds.SeriesNumber), int(ds.InstanceNumber))] = ds
    return out


def test_output_passes_dciodvfy_with_no_new_errors(study, tmp_path):
    p, st, paths, folder = study
    anongen.run_anon(ANON, anongen.key_file(str(tmp_path)), [folder], tmp_path / "new" / "out")  # mkdir -p
    before = {(int(pydicom.dcmread(f).SeriesNumber), int(pydicom.dcmread(f).InstanceNumber)): f
              for f in paths.values()}
    after = anongen.dicom_files(tmp_path / "new" / "out")
    assert len(after) == len(paths) == 6
    for f in after:
        ds = pydicom.dcmread(f)
        new = dciodvfy_errors(f) - dciodvfy_errors(before[(int(ds.SeriesNumber), int(ds.InstanceNumber))])
        assert not new, f"{f}: {new}"


@pytest.mark.parametrize("options", [[], ["--retain-dates", "--retain-patient-chars", "--retain-device"]])
def test_no_original_value_survives_anywhere(study, tmp_path, options):
    p, st, paths, folder = study
    key = anongen.key_file(str(tmp_path))
    r = subprocess.run([ANON, "--key", key, *options, str(folder), str(tmp_path / "out")], capture_output=True,
                       text=True, env={k: v for k, v in os.environ.items() if not k.startswith("ANON_")})
    assert r.returncode == 0, r.stderr
    secrets = originals(p, st, paths) - {""}
    for f in anongen.dicom_files(tmp_path / "out"):
        raw = open(f, "rb").read()
        for s in secrets:  # every byte of the file: elements at any depth, private, meta, padding
            assert s.encode() not in raw, f"{s!r} survives in {f}"
        for depth, el in anongen.every_element(pydicom.dcmread(f)):
            assert not (el.tag.is_private and el.tag.group != 0x0019), f"private {el.tag} at depth {depth}"
            if el.VR in ("DA", "DT") and el.value:
                assert not str(el.value).startswith(st["date"]), f"unshifted date in {el.keyword}"


def test_modified_dates_keep_intervals_per_patient(tmp_path):
    """Two studies of one patient, 40 days apart: both shifted by the same
    number of days, so the interval stays; another patient shifts apart."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    anongen.study(str(a), n=3, per_series=1, date="20230110")
    anongen.study(str(b), n=3, per_series=1, date="20230219", study_n=4)
    anongen.study(str(c), n=5, per_series=1, date="20230110")
    key = anongen.key_file(str(tmp_path))
    dates = {}
    for name in (a, b, c):
        anongen.run_anon(ANON, key, [name], tmp_path / f"out-{name.name}", {"ANON_RETAIN_DATES": "true"})
        ds = pydicom.dcmread(anongen.dicom_files(tmp_path / f"out-{name.name}")[0])
        assert ds.StudyDate == ds.SeriesDate == ds.ContentDate == ds.AcquisitionDateTime[:8]
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        dates[name.name] = ds.StudyDate
    from datetime import date
    day = {k: date(int(v[:4]), int(v[4:6]), int(v[6:])) for k, v in dates.items()}
    assert (day["b"] - day["a"]).days == 40
    assert day["a"] < date(2023, 1, 10) and day["c"] < date(2023, 1, 10)
    assert day["a"] != day["c"]


def test_same_key_same_pseudonyms_in_two_processes_and_a_series_later(study, tmp_path):
    p, st, paths, folder = study
    key, other = anongen.key_file(str(tmp_path)), anongen.key_file(str(tmp_path), "another-project-key-0002", "k2")
    outs = [tmp_path / "one", tmp_path / "two"]
    runs = [threading.Thread(target=anongen.run_anon, args=(ANON, key, [folder], o)) for o in outs]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    anongen.run_anon(ANON, key, [folder / "series2"], tmp_path / "later")
    anongen.run_anon(ANON, other, [folder], tmp_path / "other")
    one, two, later, diff = (by_position(tmp_path / n) for n in ("one", "two", "later", "other"))
    assert len(one) == 6 and one.keys() == two.keys()
    assert [os.path.relpath(f, outs[0]) for f in anongen.dicom_files(outs[0])] == \
        [os.path.relpath(f, outs[1]) for f in anongen.dicom_files(outs[1])]
    for pos, ds in one.items():
        for tag in IDENTITY_TAGS:
            assert ds.get(tag) == two[pos].get(tag), tag
            if pos in later:
                assert ds.get(tag) == later[pos].get(tag), tag
            assert ds.get(tag) != diff[pos].get(tag), tag
    assert len(later) == 3
    assert str(one[(1, 1)].StudyID).startswith("S") and one[(1, 1)].StudyID != st["id"]


def test_references_resolve_inside_the_anonymized_study(study, tmp_path):
    p, st, paths, folder = study
    anongen.run_anon(ANON, anongen.key_file(str(tmp_path)), [folder], tmp_path / "out")
    out = by_position(tmp_path / "out")
    sops = {str(ds.SOPInstanceUID) for ds in out.values()}
    assert {str(ds.StudyInstanceUID) for ds in out.values()} == {str(out[(1, 1)].StudyInstanceUID)}
    assert len({str(ds.FrameOfReferenceUID) for ds in out.values()}) == 1
    refs = 0
    for (series, number), ds in out.items():
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        for seq in ("ReferencedImageSequence", "SourceImageSequence"):
            for item in ds.get(seq, []):
                assert str(item.ReferencedSOPInstanceUID) in sops
                assert item.ReferencedSOPInstanceUID == out[(1, number)].SOPInstanceUID
                refs += 1
        assert "RequestAttributesSequence" not in ds and "OtherPatientIDsSequence" not in ds
        assert ds.PatientIdentityRemoved == "YES"
        assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100"]
    assert refs == 6


def test_private_elements_go_unless_safelisted(study, tmp_path):
    p, st, paths, folder = study
    key = anongen.key_file(str(tmp_path))
    anongen.run_anon(ANON, key, [folder], tmp_path / "kept", {"ANON_KEEP_PRIVATE": "0019,10,CIRR SAFE"})
    anongen.run_anon(ANON, key, [folder], tmp_path / "none")
    for f in anongen.dicom_files(tmp_path / "kept"):
        ds = pydicom.dcmread(f)
        private = [(d, el.tag) for d, el in anongen.every_element(ds) if el.tag.is_private]
        assert sorted(t for _, t in private) == [0x00190010, 0x00191010], private
        assert ds.private_block(0x0019, anongen.SAFE_CREATOR)[0x10].value == "1.25"
        assert "113111" in [c.CodeValue for c in ds.DeidentificationMethodCodeSequence]
    for f in anongen.dicom_files(tmp_path / "none"):
        assert not [el for _, el in anongen.every_element(pydicom.dcmread(f)) if el.tag.is_private]


def test_burned_in_annotation_and_secondary_capture_are_quarantined(tmp_path):
    inputs = anongen.quarantined(str(tmp_path / "in"))
    key = anongen.key_file(str(tmp_path))
    r = anongen.run_anon(ANON, key, [tmp_path / "in"], tmp_path / "out", check=False)
    assert r.returncode == 2, r.stderr
    assert "burned.dcm: quarantined: BurnedInAnnotation is YES" in r.stderr
    assert "sc.dcm: quarantined: SOP class 1.2.840.10008.5.1.4.1.1.7 (Secondary Capture)" in r.stderr
    assert "0 written, 2 quarantined, 0 failed" in r.stderr
    assert anongen.dicom_files(tmp_path / "out") == []
    r = anongen.run_anon(ANON, key, [inputs[1]], tmp_path / "allowed",
                         {"ANON_ALLOW_CLASSES": "1.2.840.10008.5.1.4.1.1.7"})
    assert len(anongen.dicom_files(tmp_path / "allowed")) == 1


def test_key_file_checks_and_bad_input(tmp_path, study):
    p, st, paths, folder = study
    key = anongen.key_file(str(tmp_path), "a-secret-that-must-not-leak")
    os.chmod(key, 0o644)
    r = anongen.run_anon(ANON, key, [folder], tmp_path / "out", check=False)
    assert r.returncode == 100 and "mode 644" in r.stderr and key in r.stderr
    assert "a-secret" not in r.stderr and len(r.stderr.splitlines()) == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANON_")}
    r = subprocess.run([ANON, str(folder), str(tmp_path / "out")], capture_output=True, text=True, env=env)
    assert r.returncode == 100 and "ANON_KEY_FILE" in r.stderr
    os.chmod(key, 0o600)
    (tmp_path / "junk").write_text("not dicom")
    r = anongen.run_anon(ANON, key, [tmp_path / "junk", paths[next(iter(paths))]], tmp_path / "out", check=False)
    assert r.returncode == 1 and "junk: failed: cannot read" in r.stderr
    assert "1 written, 0 quarantined, 1 failed" in r.stderr


def test_each_file_keeps_its_transfer_syntax(study, tmp_path):
    """Implicit VR LE, Explicit VR BE and JPEG-LS inputs come out in their
    own syntax (the compressed pixels as they were, byte for byte)."""
    p, st, paths, folder = study
    src = sorted(paths.values())
    inputs = tmp_path / "syntaxes"
    inputs.mkdir()
    tools = (["dcmconv", "+ti"], ["dcmconv", "+tb"], ["dcmcjpls"])
    for i, tool in enumerate(tools):
        subprocess.run([*tool, src[i], str(inputs / f"in{i}.dcm")], check=True, capture_output=True)
    syntax = {str(pydicom.dcmread(f).SOPInstanceUID): (str(pydicom.dcmread(f).file_meta.TransferSyntaxUID),
                                                        pydicom.dcmread(f).PixelData)
              for f in inputs.iterdir()}
    assert {s for s, _ in syntax.values()} == {"1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.4.80"}
    anongen.run_anon(ANON, anongen.key_file(str(tmp_path)), [inputs], tmp_path / "out")
    out = [pydicom.dcmread(f) for f in anongen.dicom_files(tmp_path / "out")]
    got = sorted((str(ds.file_meta.TransferSyntaxUID), ds.PixelData) for ds in out)
    assert got == sorted(syntax.values())


def test_large_instances_come_out_whole(tmp_path):
    """Files of 128 KiB and more are written past the page cache in whole
    disk blocks, then cut to length: each comes out parsed whole, its pixels
    byte for byte, the file ending with them (no block padding left)."""
    _, _, paths = anongen.study(str(tmp_path / "in"), n=8, size=300)  # 180,000 bytes of pixels a file
    pixels = {pydicom.dcmread(f).PixelData for f in paths.values()}
    anongen.run_anon(ANON, anongen.key_file(str(tmp_path)), [tmp_path / "in"], tmp_path / "out")
    out = anongen.dicom_files(tmp_path / "out")
    assert len(out) == len(paths) and not any(f.endswith(".new") for f in out)
    for f in out:
        ds = pydicom.dcmread(f)
        data = open(f, "rb").read()
        assert len(data) >= 128 * 1024 and len(data) % 4096 and data.endswith(ds.PixelData)
    assert {pydicom.dcmread(f).PixelData for f in out} == pixels
