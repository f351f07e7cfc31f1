"""cirr-pull against mockpacs (C-FIND, C-GET) into a folder and Debian's
Orthanc (C-STORE): a worklist with known and unknown accession numbers;
the table; the destination holds exactly the expected studies, all
pseudonymous; killed halfway and run again: no duplicates, the same final
state; the issue's 30 rows with a study whose screen capture has burned-in
annotation (mockpacs' MOCK_BURNED_IN, dciodvfy-clean); the key file's
mode; a bad worklist stops it before any query."""
import os
import signal
import socket
import subprocess
import urllib.request
import json

import pydicom

from tests.dicom.conftest import stopped_cleanly
from tests.support import anongen
from tests.support.bridge import Bridge, bridge_destination, fixture_of
from tests.support.dcmtk import dcmtk, find
from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import assert_no_sanitizer_report
from tests.support.waiting import wait_for

PULL = built("CIRR_PULL", "cirr-pull")
bridge = fixture_of(Bridge, stopped_cleanly)
SMALL = {"MOCK_STUDIES": "60", "MOCK_CT_SLICES": "2", "MOCK_MR_SLICES": "2"}


def pull_setup(mock, orthanc, tmp_path, known=8, unknown=2, by_patient=0):
    """mockpacs, Orthanc as the destination, a worklist: known accession
    numbers, then by_patient rows of PatientID and StudyDate, then unknown
    accession numbers. Returns (env, worklist path, {study uid: instances},
    Orthanc)."""
    m = mock(**SMALL)
    port = free_port()
    o = orthanc("ORTHANC", port)
    catalog = find(m, "STUDY", "AccessionNumber", "PatientID", "StudyDate", "StudyInstanceUID",
                   "NumberOfStudyRelatedInstances")
    rows, studies = [], {}
    for s in catalog[:known]:
        rows.append(f"{s['AccessionNumber']},,")
        studies[s["StudyInstanceUID"]] = int(s["NumberOfStudyRelatedInstances"])
    for s in catalog[known:known + by_patient]:  # every study of that patient on that day
        rows.append(f",{s['PatientID']},{s['StudyDate']}")
        studies.update({c["StudyInstanceUID"]: int(c["NumberOfStudyRelatedInstances"]) for c in catalog
                        if (c["PatientID"], c["StudyDate"]) == (s["PatientID"], s["StudyDate"])})
    rows += [f"NOSUCH{i},," for i in range(unknown)]
    wl = tmp_path / "worklist.csv"
    wl.write_text("AccessionNumber,PatientID,StudyDate\n" + "\n".join(rows) + "\n")
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": f"MOCK,127.0.0.1,{m.port}", "PULL_SOURCE": "PACS",
           "MOD_ORTHANC": f"ORTHANC,127.0.0.1,{port}", "PULL_DEST": "ORTHANC",
           "ANON_KEY_FILE": anongen.key_file(str(tmp_path)), "TCP_NODELAY": "1"}
    return env, wl, studies, o


def orthanc_get(o, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{o.http}{path}", timeout=30) as r:
        return json.loads(r.read())


def run_pull(env, wl, out):
    r = subprocess.run([PULL, str(wl), str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert_no_sanitizer_report(r.stderr)
    return r


def test_worklist_pulled_into_folder_and_orthanc(mock, orthanc, tmp_path):
    env, wl, studies, o = pull_setup(mock, orthanc, tmp_path, known=6, by_patient=2)
    r = run_pull(env, wl, tmp_path / "out")
    assert r.returncode == 1, r.stderr  # two rows failed: not found
    total = sum(studies.values())
    assert f"rows 10: pulled 8, quarantined 0, failed 2; instances written {total}" in r.stdout
    assert r.stdout.count("no study found") == 2
    assert len(orthanc_get(o, "/studies")) == len(studies) >= 8
    assert len(orthanc_get(o, "/instances")) == total
    for ident in orthanc_get(o, "/patients"):
        pid = orthanc_get(o, f"/patients/{ident}")["MainDicomTags"]["PatientID"]
        assert pid.startswith("P") and len(pid) == 14
    files = [f for f in anongen.dicom_files(tmp_path / "out") if f.endswith(".dcm")]
    assert len(files) == total
    keys = tmp_path / "out" / ".cirr-pull" / "keys.csv"
    assert os.stat(keys).st_mode & 0o777 == 0o600
    assert len(keys.read_text().splitlines()) == 10 and "NOSUCH1" in keys.read_text()
    again = run_pull(env, wl, tmp_path / "out")  # done rows are not pulled again; failed ones are tried again
    assert "rows 10: pulled 8, quarantined 0, failed 2" in again.stdout
    assert again.stderr.count("pulled,") == 0 and again.stderr.count("no study found") == 2
    assert len(orthanc_get(o, "/instances")) == total


def test_killed_halfway_and_run_again(mock, orthanc, tmp_path):
    env, wl, studies, o = pull_setup(mock, orthanc, tmp_path, known=10, unknown=0)
    journal = tmp_path / "out" / ".cirr-pull" / "journal"
    p = subprocess.Popen([PULL, str(wl), str(tmp_path / "out")], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    wait_for(lambda: journal.exists() and len(journal.read_text().splitlines()) >= 3, 120, "three rows journaled")
    p.send_signal(signal.SIGKILL)
    p.communicate()
    done = len(journal.read_text().splitlines())
    assert done < 10
    r = run_pull(env, wl, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    total = sum(studies.values())
    assert f"rows 10: pulled 10, quarantined 0, failed 0; instances written {total}" in r.stdout
    lines = [line.split("\t")[0] for line in journal.read_text().splitlines()]
    assert sorted(lines) == sorted(set(lines)) and len(lines) == 10  # each row journaled once
    assert len([f for f in anongen.dicom_files(tmp_path / "out") if f.endswith(".dcm")]) == total
    assert len(orthanc_get(o, "/instances")) == total and len(orthanc_get(o, "/studies")) == len(studies)


def test_bad_worklist_stops_before_any_query(tmp_path):
    wl = tmp_path / "bad.csv"
    wl.write_text("AccessionNumber\nA1\nA*\n")
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": "MOCK,127.0.0.1,1", "PULL_SOURCE": "PACS",
           "ANON_KEY_FILE": anongen.key_file(str(tmp_path))}
    r = run_pull(env, wl, tmp_path / "out")
    assert r.returncode == 100 and "line 3" in r.stderr and len(r.stderr.splitlines()) == 1
    r = run_pull({**env, "PULL_RETRIEVE": "fetch"}, wl, tmp_path / "out")
    assert r.returncode == 100 and "PULL_RETRIEVE" in r.stderr and len(r.stderr.splitlines()) == 1
    wl.write_text("AccessionNumber\nA1\n")
    with socket.socket() as taken:  # PULL_PORT in use: 111 before anything is written
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = run_pull({**env, "PULL_RETRIEVE": "move", "PULL_PORT": str(taken.getsockname()[1])}, wl,
                     tmp_path / "out")
    assert r.returncode == 111 and "PULL_PORT" in r.stderr and len(r.stderr.splitlines()) == 1
    env.pop("PULL_SOURCE")
    r = run_pull(env, wl, tmp_path / "out")
    assert r.returncode == 100 and "PULL_SOURCE" in r.stderr
    assert not (tmp_path / "out").exists()


# The collection: 28 small studies (CT: a scout and one slice; MR:
# three one-slice series) of which one (accession A000000020) ends with a
# screen capture whose pixels carry burned-in annotation, and 2 unknown
# accession numbers.
COLLECTION = {"MOCK_STUDIES": "40", "MOCK_SITE": "Main CT:CT:2:10;Main MR:MR:1:5", "MOCK_CT_SLICES": "1",
              "MOCK_MR_SLICES": "1", "MOCK_BURNED_IN": "20"}
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def collection_setup(mock, orthanc, tmp_path):
    """mockpacs, Orthanc, a 30-row worklist. Returns (env, worklist,
    {accession: instances}, the burned-in study's accession, Orthanc, mockpacs)."""
    m = mock(**COLLECTION)
    port = free_port()
    o = orthanc("ORTHANC", port)
    catalog = sorted(find(m, "STUDY", "AccessionNumber", "ModalitiesInStudy", "StudyInstanceUID",
                          "NumberOfStudyRelatedInstances"), key=lambda s: s["AccessionNumber"])[:28]
    burned = [s["AccessionNumber"] for s in catalog if "OT" in s["ModalitiesInStudy"].split("\\")]
    assert burned == ["A000000020"]
    counts = {s["AccessionNumber"]: int(s["NumberOfStudyRelatedInstances"]) for s in catalog}
    rows = [f"{a}" for a in counts]
    rows[9:9] = ["NOSUCH1"]
    rows[20:20] = ["NOSUCH2"]
    wl = tmp_path / "worklist.csv"
    wl.write_text("AccessionNumber\n" + "\n".join(rows) + "\n")
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": f"MOCK,127.0.0.1,{m.port}", "PULL_SOURCE": "PACS",
           "MOD_ORTHANC": f"ORTHANC,127.0.0.1,{port}", "PULL_DEST": "ORTHANC", "PULL_PARALLEL": "2",
           "ANON_KEY_FILE": anongen.key_file(str(tmp_path)), "TCP_NODELAY": "1"}
    return env, wl, counts, burned[0], o, m


def test_burned_in_capture_is_a_valid_secondary_capture(mock, tmp_path):
    m = mock(**COLLECTION)
    uid = find(m, "STUDY", "AccessionNumber=A000000020", "StudyInstanceUID")[0]["StudyInstanceUID"]
    out = tmp_path / "get"
    out.mkdir()
    dcmtk("getscu", "-S", "-aec", "MOCK", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY", "-k",
          f"StudyInstanceUID={uid}", "127.0.0.1", str(m.port))
    captures = [f for f in anongen.dicom_files(out) if pydicom.dcmread(f).SOPClassUID == SECONDARY_CAPTURE]
    assert len(captures) == 1
    ds = pydicom.dcmread(captures[0])
    assert ds.BurnedInAnnotation == "YES" and ds.Modality == "OT" and ds.StudyInstanceUID == uid
    v = subprocess.run(["dciodvfy", captures[0]], capture_output=True, text=True)
    assert not [line for line in (v.stdout + v.stderr).splitlines() if line.startswith("Error")]
    assert not [s for s in find(m, "STUDY", "AccessionNumber=A000000019", "ModalitiesInStudy")
                if "OT" in s["ModalitiesInStudy"]]  # off by default, and only every 20th here


def orthanc_study_sizes(o):
    """The number of instances of each study Orthanc holds, sorted."""
    return sorted(len(orthanc_get(o, f"/studies/{s}/instances")) for s in orthanc_get(o, "/studies"))


def test_thirty_rows_killed_halfway_then_27_pulled_1_quarantined_2_failed(mock, orthanc, tmp_path):
    env, wl, counts, burned, o, m = collection_setup(mock, orthanc, tmp_path)
    out = tmp_path / "out"
    journal = out / ".cirr-pull" / "journal"
    p = subprocess.Popen([PULL, str(wl), str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    wait_for(lambda: journal.exists() and len(journal.read_text().splitlines()) >= 10, 120, "ten rows journaled")
    p.send_signal(signal.SIGKILL)
    p.communicate()
    assert len(journal.read_text().splitlines()) < 30
    r = run_pull(env, wl, out)
    assert r.returncode == 1, r.stderr  # two rows failed (exit 1 wins over the quarantine's 2)
    written = sum(counts.values()) - 1  # all but the screen capture
    assert f"rows 30: pulled 27, quarantined 1, failed 2; instances written {written}" in r.stdout
    assert r.stdout.count("no study found") == 2
    quarantined = [line for line in r.stdout.splitlines() if line.split()[1:2] == ["quarantined"]]
    assert len(quarantined) == 1 and "BurnedInAnnotation" in quarantined[0], r.stdout
    # Each row that was pulled or quarantined is journaled once (failed ones are tried again).
    done = [line.split("\t")[0] for line in journal.read_text().splitlines() if "\tfailed\t" not in line]
    assert len(done) == len(set(done)) == 28
    # Orthanc holds exactly the 28 studies, each with its instances once, the capture in none.
    expected = sorted(n - (a == burned) for a, n in counts.items())
    assert orthanc_study_sizes(o) == expected
    assert len(orthanc_get(o, "/instances")) == written
    files = [f for f in anongen.dicom_files(out) if f.endswith(".dcm")]
    assert len(files) == written
    assert {str(pydicom.dcmread(f, stop_before_pixels=True).StudyInstanceUID) for f in files} == \
        {orthanc_get(o, f"/studies/{s}")["MainDicomTags"]["StudyInstanceUID"] for s in orthanc_get(o, "/studies")}
    assert not [f for f in files if pydicom.dcmread(f, stop_before_pixels=True).SOPClassUID == SECONDARY_CAPTURE]


def test_move_gives_what_get_gives(mock, storescp, tmp_path):
    """PULL_RETRIEVE=move: mockpacs moves each study to cirr-pull's own
    port (it knows cirr-pull as MOD_PULL), two studies in flight at once;
    the output is the same files as C-GET's, the capture quarantined."""
    port = free_port()
    m = mock(MOD_PULL=f"CIRRPULL,127.0.0.1,{port}", **COLLECTION)
    wl = tmp_path / "worklist.csv"
    wl.write_text("AccessionNumber\n" + "\n".join(f"A0000000{n}" for n in (17, 18, 19, 20, 21)) + "\nNOSUCH\n")
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": f"MOCK,127.0.0.1,{m.port}", "PULL_SOURCE": "PACS",
           "PULL_PARALLEL": "2", "ANON_KEY_FILE": anongen.key_file(str(tmp_path)), "TCP_NODELAY": "1"}
    got = run_pull(env, wl, tmp_path / "get")
    moved = run_pull({**env, "PULL_RETRIEVE": "move", "PULL_PORT": str(port)}, wl, tmp_path / "move")
    assert moved.returncode == got.returncode == 1, moved.stderr
    assert "rows 6: pulled 4, quarantined 1, failed 1" in moved.stdout
    assert moved.stdout == got.stdout
    relative = [sorted(os.path.relpath(f, d) for f in anongen.dicom_files(d) if f.endswith(".dcm"))
                for d in (tmp_path / "get", tmp_path / "move")]
    assert relative[0] and relative[0] == relative[1]
    # By C-MOVE to PULL_AET indeed: a destination mockpacs does not know fails every row.
    nobody = run_pull({**env, "PULL_RETRIEVE": "move", "PULL_PORT": str(port), "PULL_AET": "NOBODY"}, wl,
                      tmp_path / "nobody")
    assert "rows 6: pulled 0, quarantined 0, failed 6" in nobody.stdout
    assert nobody.stdout.count("C-MOVE failed: peer status 0xa801") == 5
    assert "unknown destination 'NOBODY'" in m.text()
    # A source whose entry for CIRRPULL points elsewhere: what it moved never arrived, every row fails.
    elsewhere = mock(MOD_PULL=f"CIRRPULL,127.0.0.1,{storescp('CIRRPULL').port}", **COLLECTION)
    lost = run_pull({**env, "MOD_PACS": f"MOCK,127.0.0.1,{elsewhere.port}", "PULL_RETRIEVE": "move",
                     "PULL_PORT": str(port)}, wl, tmp_path / "lost")
    assert "rows 6: pulled 0, quarantined 0, failed 6" in lost.stdout
    assert lost.stdout.count("C-MOVE went elsewhere: the source moved") == 5, lost.stdout


def test_move_through_the_bridge_never_beyond_its_upstream_limit(mock, bridge, tmp_path):
    """cirr-pull's source is the bridge (doc/pull.md: several studies in
    flight, within what the bridge allows): 4 rows at once against
    BRIDGE_MAX_UPSTREAM=2; the bridge queues the rest, never holds more
    than 2 associations to the PACS, and the output is what C-GET from
    the PACS directly gives."""
    bridge_port, pull_port = free_port(), free_port()
    m = mock(**bridge_destination(bridge_port), **COLLECTION)
    b = bridge(m.port, {"PULL": ("CIRRPULL", pull_port)}, port=bridge_port, BRIDGE_MAX_UPSTREAM=2)
    wl = tmp_path / "worklist.csv"
    wl.write_text("AccessionNumber\n" + "\n".join(f"A0000000{n}" for n in range(13, 21)) + "\n")
    env = {"PATH": "/usr/bin:/bin", "MOD_PACS": f"MOCK,127.0.0.1,{m.port}", "PULL_SOURCE": "PACS",
           "ANON_KEY_FILE": anongen.key_file(str(tmp_path)), "TCP_NODELAY": "1"}
    direct = run_pull(env, wl, tmp_path / "direct")
    bridged = run_pull({**env, "MOD_BRIDGE": f"BRIDGE,127.0.0.1,{bridge_port}", "PULL_SOURCE": "BRIDGE",
                        "PULL_RETRIEVE": "move", "PULL_PORT": str(pull_port), "PULL_PARALLEL": "4"},
                       wl, tmp_path / "bridged")
    assert bridged.returncode == direct.returncode == 2, bridged.stderr  # the capture quarantined
    assert "rows 8: pulled 7, quarantined 1, failed 0" in bridged.stdout and bridged.stdout == direct.stdout
    relative = [sorted(os.path.relpath(f, d) for f in anongen.dicom_files(d) if f.endswith(".dcm"))
                for d in (tmp_path / "direct", tmp_path / "bridged")]
    assert relative[0] and relative[0] == relative[1]
    metrics = b.metrics()
    assert metrics["bridge_upstream_in_use_max"] <= 2 and metrics["bridge_upstream_limit"] == 2
    assert metrics["bridge_upstream_waited_total"] > 0  # 4 rows started at once: some waited their turn
    assert metrics['bridge_requests_total{kind="move",caller="CIRRPULL"}'] == 8
