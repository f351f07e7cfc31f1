"""mockpacs's C-FIND matching against hostile or broken keys (issue 11,
findings 5 and 6): a wildcard key made to explode a backtracking matcher is
answered at once and right; a date or time key that is not one is refused
with 0xA900 instead of matching every study; valid ranges answer exactly
the studies whose dates fall in them."""
import pytest

from tests.support.dcmtk import dcmtk, find
from tests.support.dicomgen import make_instances

REFUSED = "datasetdoesnotmatchsopclass"  # DCMTK's name for 0xA900


def findscu(m, level, *keys, root="-S", timeout=60):
    return dcmtk("findscu", "-v", root, "-aec", "MOCK", "-k", f"QueryRetrieveLevel={level}",
                 *[a for k in keys for a in ("-k", k)], "127.0.0.1", str(m.port), check=False, timeout=timeout)


def wildcard(pattern, value):
    """The reference: '*' any run, '?' one character, others without regard
    to case; by dynamic programming (no backtracking)."""
    pattern, value = pattern.upper(), value.upper()
    row = [True] + [False] * len(value)  # pattern[:0] against value[:j]
    for c in pattern:
        nxt = [row[0] and c == "*"] + [False] * len(value)
        for j in range(1, len(value) + 1):
            if c == "*":
                nxt[j] = row[j] or nxt[j - 1]
            else:
                nxt[j] = row[j - 1] and (c == "?" or c == value[j - 1])
        row = nxt
    return row[-1]


@pytest.mark.parametrize("level,key,root", [
    ("STUDY", "StudyDate=abcdefgh", "-S"),
    ("STUDY", "StudyDate=---------", "-S"),
    ("STUDY", "StudyDate=2026", "-S"),  # a bare year is not a prefix
    ("STUDY", "StudyDate=2026*", "-S"),
    ("STUDY", "StudyDate=20261301-20261315", "-S"),
    ("STUDY", "StudyDate=20261015-20261001", "-S"),
    ("STUDY", "StudyTime=12:00:00", "-S"),
    ("STUDY", "StudyTime=2500", "-S"),
    ("PATIENT", "PatientBirthDate=1970", "-P"),
])
def test_a_key_that_is_not_a_date_or_time_is_refused(mock, level, key, root):
    m = mock()
    r = findscu(m, level, key, "StudyInstanceUID", root=root)
    out = (r.stdout + r.stderr).lower()
    assert REFUSED in out and "find response: 1" not in out, r.stdout + r.stderr
    name, value = key.split("=", 1)
    assert f"'{value}' is not a valid {'time' if 'Time' in name else 'date'} or range; answered 0xA900" in m.text()
    # and the service goes on answering
    assert find(m, level, "PatientID=MRN00000001", "PatientName", root=root)


def test_valid_ranges_answer_exactly_the_studies_in_them(mock):
    m = mock()
    every = find(m, "STUDY", "StudyInstanceUID", "StudyDate", "StudyTime")
    assert len(every) == 1000

    def uids(answers):
        return sorted(a["StudyInstanceUID"] for a in answers)

    def expect(keep):
        return uids(a for a in every if keep(a["StudyDate"], a["StudyTime"]))

    cases = {
        "StudyDate=20261001-20261015": lambda d, t: "20261001" <= d <= "20261015",
        "StudyDate=20261020-": lambda d, t: d >= "20261020",
        "StudyDate=-20260115": lambda d, t: d <= "20260115",
        "StudyDate=20261001": lambda d, t: d == "20261001",
        "StudyDate=20261001-20261001": lambda d, t: d == "20261001",
        "StudyTime=093000-101500": lambda d, t: "093000" <= t <= "101500",
        "StudyTime=-0800": lambda d, t: t[:4] <= "0800",
        "StudyTime=17-": lambda d, t: t >= "170000",
        "StudyTime=10": lambda d, t: t.startswith("10"),
    }
    for key, keep in cases.items():
        want = expect(keep)
        assert want, key  # the case means something on this catalog
        assert uids(find(m, "STUDY", key, "StudyInstanceUID")) == want, key
    both = find(m, "STUDY", "StudyDate=20260601-20260701", "StudyTime=08-12", "StudyInstanceUID")
    assert uids(both) == expect(lambda d, t: "20260601" <= d <= "20260701" and "08" <= t[:2] <= "12")


def test_exploding_wildcard_is_answered_at_once(mock, tmp_path):
    """"*?" thirty times then "Z" against 64-character names: the recursive
    matcher this replaces ran for hours on each such name."""
    m = mock(MOCK_STUDIES=50)
    names = {"ZED": "A" * 32 + "^" + "B" * 30 + "Z", "NOZ": "A" * 32 + "^" + "B" * 31}
    files = []
    for pid, name in names.items():
        make_instances(tmp_path / pid, 1, patient=name, patient_id=pid)
        files += [str(p) for p in (tmp_path / pid).iterdir()]
    dcmtk("storescu", "-aec", "MOCK", "127.0.0.1", str(m.port), *files)
    pattern = "*?" * 30 + "Z"
    every = find(m, "STUDY", "PatientName", "PatientID")
    want = sorted(a["PatientID"] for a in every if wildcard(pattern, a["PatientName"]))
    assert want == ["ZED"]
    r = findscu(m, "STUDY", f"PatientName={pattern}", "PatientID", timeout=30)
    assert r.returncode == 0 and "Find Response: 1 (Pending)" in r.stdout + r.stderr, r.stdout + r.stderr
    got = find(m, "STUDY", f"PatientName={pattern}", "PatientID")
    assert sorted(a["PatientID"] for a in got) == want
    # the same key, lower case, on the same names: wildcards ignore case
    got = find(m, "STUDY", f"PatientName={pattern.lower()}", "PatientID")
    assert sorted(a["PatientID"] for a in got) == want
