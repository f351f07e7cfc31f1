"""The same study through cirr-anon and through Debian's Orthanc's
/instances/{id}/anonymize (the seed's way, one call per instance): a table
of what each does to every attribute of the input (doc/anon.md quotes it;
ANON_TABLE_OUT=path writes it there), and the differences the manual
explains, asserted: cirr's pseudonyms are the same whatever the call,
Orthanc's are new at every call, so its references inside a study break."""
import io
import os

import pydicom

from tests.support import anongen
from tests.support.paths import built

ANON = built("CIRR_ANON", "cirr-anon")


def state(before, after):
    """What an anonymizer did to one element: removed, emptied, kept, replaced."""
    if after is None:
        return "removed"
    if before.VR == "SQ":
        if not after.value:
            return "emptied"
        return "kept, items cleaned" if len(after.value) == len(before.value) else "replaced"
    if after.value in (None, "", b"") or (isinstance(after.value, (list, tuple)) and not after.value):
        return "kept (empty)" if after.value == before.value else "emptied"
    return "kept" if after.value == before.value else "replaced"


def rows(original, cirr, orthanc):
    """One row per element of original (top level, private ones by tag)."""
    out = []
    for el in original:
        if el.tag == 0x7FE00010:
            continue
        name = el.keyword or f"private {el.tag}"
        out.append((name, state(el, cirr.get(el.tag)), state(el, orthanc.get(el.tag))))
    return out


def table(lines):
    text = ["| attribute | cirr-anon | Orthanc 1.10 /anonymize |", "|---|---|---|"]
    text += [f"| {a if ' ' in a and not a.startswith('private') else f'`{a}`'} | {c} | {o} |"
             for a, c, o in lines]
    return "\n".join(text) + "\n"


def test_cirr_and_orthanc_attribute_by_attribute(orthanc, tmp_path):
    p, st, paths = anongen.study(str(tmp_path / "in"), n=11, per_series=2)
    anongen.run_anon(ANON, anongen.key_file(str(tmp_path)), [tmp_path / "in"], tmp_path / "cirr")
    cirr = {(int(d.SeriesNumber), int(d.InstanceNumber)): d
            for d in map(pydicom.dcmread, anongen.dicom_files(tmp_path / "cirr"))}
    o = orthanc()
    anonymized, again = {}, {}
    for path in sorted(paths.values()):
        data = open(path, "rb").read()
        ds = pydicom.dcmread(io.BytesIO(anongen.orthanc_anonymize(o.http, data)))
        anonymized[(int(ds.SeriesNumber), int(ds.InstanceNumber))] = ds
        again[(int(ds.SeriesNumber), int(ds.InstanceNumber))] = pydicom.dcmread(
            io.BytesIO(anongen.orthanc_anonymize(o.http, data)))
    source = pydicom.dcmread(paths[sorted(paths)[-1]])  # series 2: it has the references
    pos = (int(source.SeriesNumber), int(source.InstanceNumber))
    lines = rows(source, cirr[pos], anonymized[pos])
    # What the table cannot show by one instance: consistency across calls and references.
    cirr_sops = {str(d.SOPInstanceUID) for d in cirr.values()}
    orthanc_sops = {str(d.SOPInstanceUID) for d in anonymized.values()}
    ref = lambda d, sops: str(d.ReferencedImageSequence[0].ReferencedSOPInstanceUID) in sops  # noqa: E731
    lines += [
        ("same StudyInstanceUID for every instance of the study",
         "yes" if len({str(d.StudyInstanceUID) for d in cirr.values()}) == 1 else "no",
         "yes" if len({str(d.StudyInstanceUID) for d in anonymized.values()}) == 1 else "no"),
        ("same pseudonyms when the instance is anonymized again", "yes (keyed hash)",
         "yes" if again[pos].SOPInstanceUID == anonymized[pos].SOPInstanceUID else "no"),
        ("ReferencedSOPInstanceUID resolves inside the anonymized study",
         "yes" if ref(cirr[pos], cirr_sops) else "no",
         "yes" if "ReferencedImageSequence" in anonymized[pos] and ref(anonymized[pos], orthanc_sops) else "no"),
    ]
    text = table(lines)
    (tmp_path / "table.md").write_text(text)
    if os.environ.get("ANON_TABLE_OUT"):
        with open(os.environ["ANON_TABLE_OUT"], "w") as f:
            f.write(text)
    # The differences doc/anon.md explains.
    assert lines[-1][1] == "yes" and lines[-3][1] == "yes"
    assert not [a for a, c, _ in lines if a.startswith("private") and c != "removed"]
    for name in ("PatientName", "PatientID", "AccessionNumber", "StudyID"):
        assert dict((a, c) for a, c, _ in lines)[name] == "replaced"
