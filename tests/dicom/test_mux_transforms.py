"""cirr-mux's per-destination transforms (issue 14, SIREN's ingress): each
instance forwarded in its own transfer syntax; a destination with
MUX_DEST_<NAME>_ANONYMIZE gets de-identified copies (lib/anon, keyed: the
same study gives the same pseudonyms in any process), quarantined instances
counted and in its dead letters; MUX_DEST_<NAME>_COMPRESS=jpeg-ls gets
JPEG-LS lossless, bit for bit the original pixels, or the original when it
does not take JPEG-LS. Peers: DCMTK's storescu, storescp and dcmdjpls."""
import glob
import os
import subprocess

import pydicom

from tests.support import anongen
from tests.support.dcmtk import dcmtk, received_uids
from tests.support.dicomgen import make_instances
from tests.support.mux import MUX
from tests.support.waiting import wait_for

IMPLICIT, EXPLICIT, BIG = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"
JPEG_LS = "1.2.840.10008.1.2.4.80"


def storescu(port, files, *options):
    dcmtk("storescu", *options, "-aet", "MODALITY", "-aec", "CIRRMUX", "127.0.0.1", str(port), *map(str, files))


def received(folder, count, what):
    """The files a storescp wrote into folder, once there are count of them."""
    wait_for(lambda: len(os.listdir(folder)) >= count, 60, what, every=0.1)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder))


def syntax_of(path):
    return str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def test_each_instance_leaves_in_the_syntax_it_arrived_in(mux, storescp, tmp_path):
    ws = storescp("WS")
    m = mux({"WS": ("WS", ws.port)})
    make_instances(str(tmp_path / "src"), 3, size=16)
    plain = sorted(glob.glob(str(tmp_path / "src" / "*")))
    big = tmp_path / "big.dcm"
    subprocess.run(["dcmconv", "+tb", plain[2], str(big)], check=True)
    storescu(m.port, plain[:1], "-xi")  # proposes Implicit VR Little Endian only
    storescu(m.port, plain[1:2], "-xe")
    storescu(m.port, [big], "-xb")
    got = {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID): syntax_of(f)
           for f in received(ws.dir, 3, "three instances at WS")}
    uid = [str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in plain]
    # storescp prefers Explicit VR LE, but takes each syntax in a context of its own
    assert got == {uid[0]: IMPLICIT, uid[1]: EXPLICIT, uid[2]: BIG}


def originals(patient, study, paths):
    """Every value of the study's identity that must not reach the research destination."""
    values = {patient.name, patient.id, patient.other_id, study["accession"], study["uid"], study["frame"]}
    for path in paths.values():
        ds = pydicom.dcmread(path)
        values |= {str(ds.SOPInstanceUID), str(ds.SeriesInstanceUID)}
    return values


def leaks(path, values):
    """(element, value) pairs of the file at path that hold an original value or a UID of the test root."""
    found = []
    for _, el in anongen.every_element(pydicom.dcmread(path)):
        text = str(el.value) if el.VR != "SQ" else ""
        if any(v and v in text for v in values) or anongen.ROOT in text:
            found.append((str(el.tag), text[:80]))
    return found


def pseudonyms(files):
    out = set()
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        out |= {str(ds.SOPInstanceUID), str(ds.SeriesInstanceUID), str(ds.StudyInstanceUID), str(ds.PatientID)}
    return out


def test_anonymized_destination_gets_pseudonyms_the_other_the_originals(mux, storescp, tmp_path):
    key = anongen.key_file(str(tmp_path))
    patient, study, paths = anongen.study(str(tmp_path / "study"), n=7, per_series=2)
    quarantine = anongen.quarantined(str(tmp_path / "q"))
    plain, research = storescp("PLAIN"), storescp("RESEARCH")
    m = mux({"PLAIN": ("PLAIN", plain.port), "RESEARCH": ("RESEARCH", research.port)},
            MUX_DEST_RESEARCH_ANONYMIZE=key)
    storescu(m.port, [*paths.values(), *quarantine])
    wait_for(lambda: m.metrics()['mux_dead_letters_total{destination="RESEARCH"}'] == 2, 60,
             "two quarantined in the dead letters", every=0.1)
    anonymized = received(research.dir, 4, "four de-identified instances")
    assert len(received(plain.dir, 6, "every original")) == 6  # four of the study, two quarantined for RESEARCH
    assert received_uids(str(plain.dir)) >= set(paths)  # the originals, untouched
    assert len(anonymized) == 4
    values = originals(patient, study, paths)
    for f in anonymized:
        assert leaks(f, values) == [], f
        assert pydicom.dcmread(f, stop_before_pixels=True).PatientIdentityRemoved == "YES"
    metrics = m.metrics()
    assert metrics['mux_quarantined_total{destination="RESEARCH"}'] == 2
    assert metrics['mux_quarantined_total{destination="PLAIN"}'] == 0
    dead = subprocess.run([MUX, "dead"], env=m.env, capture_output=True, text=True).stdout.splitlines()
    assert len(dead) == 2 and all(line.startswith("RESEARCH\t") and "quarantined" in line for line in dead)
    assert any("BurnedInAnnotation" in line or "burned" in line.lower() for line in dead)
    assert open(key).read().strip() not in m.text()
    assert {pydicom.dcmread(f).get("StudyDate", "") for f in anonymized} == {""}  # the Basic Profile empties it
    # the same study through another mux process with the same key: the same pseudonyms
    again = storescp("AGAIN")
    m2 = mux({"AGAIN": ("AGAIN", again.port)}, spool=tmp_path / "spool2", MUX_DEST_AGAIN_ANONYMIZE=key,
             MUX_DEST_AGAIN_ANON_RETAIN_DATES="true")
    storescu(m2.port, paths.values())
    twice = received(again.dir, 4, "the study again")
    assert pseudonyms(twice) == pseudonyms(anonymized)
    dates = {str(pydicom.dcmread(f).StudyDate) for f in twice}  # kept, shifted alike
    assert len(dates) == 1 and dates != {study["date"]} and dates != {""}


def test_bad_key_file_stops_mux_naming_the_variable(tmp_path):
    key = tmp_path / "key"
    key.write_text("a-project-key-that-others-may-read\n")
    key.chmod(0o644)
    env = {"PATH": "/usr/bin:/bin", "MUX_ALLOW": "*", "MUX_SPOOL": str(tmp_path / "spool"),
           "MUX_DEST_R": "R,127.0.0.1,1", "MUX_DEST_R_ANONYMIZE": str(key)}
    r = subprocess.run([MUX], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 100
    assert "MUX_DEST_R_ANONYMIZE" in r.stderr and "a-project-key" not in r.stderr
    r = subprocess.run([MUX], env={**env, "MUX_DEST_R_ANONYMIZE": "", "MUX_DEST_R_COMPRESS": "jpeg-2000"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100 and "MUX_DEST_R_COMPRESS" in r.stderr


def images(folder, count):
    """Instances whose pixels use all 16 bits stored (the encoder must keep every one)."""
    make_instances(str(folder), count, size=64)
    files = sorted(glob.glob(str(folder / "*")))
    for f in files:
        ds = pydicom.dcmread(f)
        ds.BitsStored, ds.HighBit = 16, 15
        ds.save_as(f)
    return files


def test_jpeg_ls_is_lossless_and_falls_back_to_the_original(mux, storescp, tmp_path):
    jls, plain = storescp("JLS", options=("+xa",)), storescp("PLAIN")
    m = mux({"JLS": ("JLS", jls.port), "PLAIN": ("PLAIN", plain.port)}, MUX_DEST_JLS_COMPRESS="jpeg-ls",
            MUX_DEST_PLAIN_COMPRESS="jpeg-ls")
    files = images(tmp_path / "src", 3)
    storescu(m.port, files)
    pixels = {str(pydicom.dcmread(f).SOPInstanceUID): pydicom.dcmread(f).PixelData for f in files}
    for f in received(jls.dir, 3, "three compressed at JLS"):
        assert syntax_of(f) == JPEG_LS
        out = str(tmp_path / "decompressed.dcm")
        subprocess.run(["dcmdjpls", f, out], check=True)
        ds = pydicom.dcmread(out)
        assert ds.PixelData == pixels[str(ds.SOPInstanceUID)]  # bit for bit
    # PLAIN does not take JPEG-LS: it gets the originals as they were
    for f in received(plain.dir, 3, "three originals at PLAIN"):
        ds = pydicom.dcmread(f)
        assert str(ds.file_meta.TransferSyntaxUID) == EXPLICIT
        assert ds.PixelData == pixels[str(ds.SOPInstanceUID)]
    metrics = m.metrics()
    assert metrics['mux_compressed_total{destination="JLS"}'] == 3
    assert metrics['mux_compressed_total{destination="PLAIN"}'] == 0
