"""cirr-mux against real peers (issue 5): DCMTK's storescu and GDCM's
gdcmscu send; Debian's Orthanc and a DCMTK storescp "workstation" receive."""
import glob
import json
import os
import signal
import subprocess
import time
import urllib.request

from tests.support.dcmtk import NODELAY, dcmtk, received_uids
from tests.support.dicomgen import make_instances
from tests.support.mux import MUX
from tests.support.ports import free_port
from tests.support.processes import VALGRIND, assert_valgrind_clean, thread_nice_values
from tests.support.waiting import wait_for


def wait_until(predicate, timeout=60, what="condition"):
    """wait_for at this suite's pace: peers take seconds, and a predicate
    may read a thousand files."""
    wait_for(predicate, timeout, what, every=0.1)


def storescu(port, files, aet="MODALITY", check=True):
    return dcmtk("storescu", "-v", "-aet", aet, "-aec", "CIRRMUX", "127.0.0.1", str(port), *files, check=check)


def orthanc_uids(o):
    with urllib.request.urlopen(f"http://127.0.0.1:{o.http}/instances?expand", timeout=30) as r:
        return {i["MainDicomTags"]["SOPInstanceUID"] for i in json.loads(r.read())}


def test_storescu_and_gdcmscu_reach_orthanc_and_workstation(mux, storescp, orthanc, tmp_path):
    ws, o = storescp("WS"), orthanc("ARCHIVE")
    m = mux({"ARCHIVE": ("ARCHIVE", o.dicom), "WORKSTATION": ("WS", ws.port)})
    a = make_instances(str(tmp_path / "a"), 20)
    b = make_instances(str(tmp_path / "b"), 10, patient="GDCM^SENT")
    storescu(m.port, sorted(glob.glob(str(tmp_path / "a" / "*"))))
    # gdcmscu aborts after its A-RELEASE (a GDCM defect, see test_mockpacs); the stores are done by then
    subprocess.run(["gdcmscu", "--store", "--call", "CIRRMUX", "-r", "-i", str(tmp_path / "b"), "127.0.0.1",
                    str(m.port)], capture_output=True, env=NODELAY, timeout=120)
    want = set(a) | set(b)
    wait_until(lambda: len(os.listdir(ws.dir)) == 30 and len(orthanc_uids(o)) == 30, what="both destinations")
    assert received_uids(str(ws.dir)) == want
    assert orthanc_uids(o) == want
    metrics = m.metrics()
    assert metrics["mux_received_total"] == 30
    assert metrics['mux_forwarded_total{destination="ARCHIVE"}'] == 30
    assert metrics['mux_queue_depth{destination="WORKSTATION"}'] == 0
    wait_for(lambda: "from STORESCU@127.0.0.1" in m.text() or "from MODALITY@127.0.0.1" in m.text(),
             what="the senders' association lines")


def acknowledged(storescu_output, files):
    """Files storescu got a Success response for, in order."""
    acked, current = [], None
    for line in storescu_output.splitlines():
        if "Sending file:" in line:
            current = line.split("Sending file:", 1)[1].strip()
        elif "Received Store Response (Success)" in line and current:
            acked.append(current)
    return acked


def test_kill_9_loses_no_acknowledged_instance(mux, storescp, tmp_path):
    ws_a, ws_b = storescp("A"), storescp("B")
    spool = tmp_path / "spool"
    files_dir = tmp_path / "thousand"
    uids = make_instances(str(files_dir), 1000)
    files = sorted(glob.glob(str(files_dir / "*")))
    by_file = dict(zip(files, uids))
    m = mux({"A": ("A", ws_a.port), "B": ("B", ws_b.port)}, spool=spool)
    log = tmp_path / "storescu.log"
    sender = subprocess.Popen(["storescu", "-v", "-aet", "MODALITY", "-aec", "CIRRMUX", "127.0.0.1", str(m.port),
                               *files], env=NODELAY, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_until(lambda: m.metrics()["mux_received_total"] >= 300, what="300 instances in")
    m.killed = True
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait()
    sender.wait(timeout=60)
    out = log.read_text()
    acked = [by_file[f] for f in acknowledged(out, files)]
    assert len(acked) >= 300
    m2 = mux({"A": ("A", ws_a.port), "B": ("B", ws_b.port)}, spool=spool)
    wait_until(lambda: set(acked) <= received_uids(str(ws_a.dir)) and set(acked) <= received_uids(str(ws_b.dir)),
               timeout=120, what="every acknowledged instance at both destinations")
    wait_until(lambda: m2.metrics()['mux_queue_depth{destination="A"}'] == 0 and
               m2.metrics()['mux_queue_depth{destination="B"}'] == 0, what="queues drained")
    assert os.listdir(spool / "tmp") == []


def test_a_dead_destination_does_not_hold_up_the_other(mux, storescp, tmp_path):
    up = storescp("UP")
    down_port = free_port()
    # two attempts per instance would dead-letter everything if an outage counted against the instances
    m = mux({"UP": ("UP", up.port), "DOWN": ("DOWN", down_port)}, MUX_MAX_ATTEMPTS=2, MUX_RETRY_BASE_MS=200,
            MUX_RETRY_MAX_MS=1600)
    uids = make_instances(str(tmp_path / "x"), 200)
    t0 = time.monotonic()
    storescu(m.port, sorted(glob.glob(str(tmp_path / "x" / "*"))))
    wait_until(lambda: len(os.listdir(up.dir)) == 200, what="UP has everything")
    assert time.monotonic() - t0 < 30
    time.sleep(max(0.0, 6 - (time.monotonic() - t0)))  # several backoff steps with DOWN unreachable
    metrics = m.metrics()
    assert metrics['mux_queue_depth{destination="DOWN"}'] == 200
    assert metrics['mux_dead_letters_total{destination="DOWN"}'] == 0
    assert metrics['mux_failed_attempts_total{destination="DOWN"}'] == 0
    assert metrics['mux_destination_down_seconds{destination="DOWN"}'] > 3
    assert metrics['mux_destination_down_seconds{destination="UP"}'] == 0
    # the destination is retried as a whole (200 ms doubling to 1.6 s: about 8 tries in 6 s), not per instance
    assert 2 <= metrics['mux_association_failures_total{destination="DOWN"}'] <= 15
    assert m.text().count("cannot associate with DOWN@127.0.0.1") <= 3
    # DOWN comes back: it drains, and the log says so
    back = storescp("DOWN", port=down_port)
    wait_until(lambda: len(os.listdir(back.dir)) == 200, timeout=120, what="DOWN drained")
    assert received_uids(str(back.dir)) == set(uids) == received_uids(str(up.dir))
    assert "DOWN@127.0.0.1:%d works again" % down_port in m.text()
    assert m.metrics()['mux_destination_down_seconds{destination="DOWN"}'] == 0


def test_calling_aet_not_allowed_is_rejected(mux, storescp, tmp_path):
    ws = storescp("WS")
    m = mux({"WS": ("WS", ws.port)}, MUX_ALLOW="CT1,MR1")
    files = [make_instances(str(tmp_path / "r"), 1) and sorted(glob.glob(str(tmp_path / "r" / "*")))[0]]
    r = storescu(m.port, files, aet="INTRUDER", check=False)
    assert r.returncode != 0
    storescu(m.port, files, aet="CT1")
    m.wait_text("from INTRUDER@127.0.0.1: rejected: calling AE title not allowed")


def test_mux_refuses_to_start_without_allow_list(tmp_path):
    r = subprocess.run([MUX], env={"MUX_DEST_A": "A,127.0.0.1,104", "MUX_SPOOL": str(tmp_path)},
                       capture_output=True, text=True)
    assert r.returncode == 100
    assert "MUX_ALLOW is not set" in r.stderr


def test_full_spool_answers_a700_and_keeps_what_it_acknowledged(mux, storescp, tmp_path):
    spool = tmp_path / "tiny"
    spool.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(spool)], check=True)
    try:
        down = free_port()  # nothing drains: the spool only fills
        m = mux({"A": ("A", down)}, spool=spool, MUX_MIN_FREE_MB=2)
        files_dir = tmp_path / "big"
        make_instances(str(files_dir), 40, size=256)  # 128 KiB each
        files = sorted(glob.glob(str(files_dir / "*")))
        r = storescu(m.port, files, check=False)
        out = r.stdout + r.stderr
        acked = acknowledged(out, files)
        assert 0 < len(acked) < 40
        assert "Out of Resources" in out or "0xa700" in out.lower() or "OutOfResources" in out
        queued = set(os.listdir(spool / "queue" / "A"))
        assert len(queued) == len(acked)  # every acknowledged instance is there, nothing else
        assert "spool below MUX_MIN_FREE_MB" in m.text()
        m.stop()
    finally:
        subprocess.run(["umount", str(spool)], check=False)


def test_sender_disconnecting_mid_instance_leaves_nothing_partial(mux, storescp, tmp_path):
    down = free_port()
    spool = tmp_path / "spool"
    m = mux({"A": ("A", down)}, spool=spool)
    big = tmp_path / "big"
    make_instances(str(big), 1, size=6928)  # 96 MiB: still on the wire when the sender dies
    log = tmp_path / "sender.log"
    p = subprocess.Popen(["storescu", "-v", "-aec", "CIRRMUX", "--max-send-pdu", "4096", "127.0.0.1",
                          str(m.port), *glob.glob(str(big / "*"))], env=NODELAY, stdout=open(log, "w"),
                         stderr=subprocess.STDOUT)
    wait_until(lambda: "Sending Store Request" in log.read_text(), what="the transfer to start")
    time.sleep(0.02)
    p.kill()
    p.wait()
    wait_until(lambda: "from STORESCU@127.0.0.1" in m.text(), what="the association's log line")
    assert os.listdir(spool / "queue" / "A") == []
    assert os.listdir(spool / "tmp") == []
    assert m.metrics()["mux_received_total"] == 0
    assert "0 stored" in m.text() and ("aborted" in m.text() or "ended:" in m.text())


def test_implicit_only_destination_gets_transcoded_or_dead_letter(mux, storescp, tmp_path):
    dest = storescp("OLDWS", options=("+xi",))  # implicit VR little endian only
    out = dest.dir
    m = mux({"OLDWS": ("OLDWS", dest.port)}, MUX_MAX_ATTEMPTS=2)
    src = tmp_path / "src"
    make_instances(str(src), 1, size=128)
    plain = glob.glob(str(src / "*"))[0]
    jpeg = str(tmp_path / "jpeg-lossless.dcm")
    jls = str(tmp_path / "jpeg-ls.dcm")
    j2k = str(tmp_path / "j2k.dcm")
    subprocess.run(["dcmcjpeg", "+e1", plain, jpeg], check=True)
    subprocess.run(["dcmcjpls", plain, jls], check=True)
    subprocess.run(["gdcmconv", "--j2k", plain, j2k], check=True)
    # the three differ only in transfer syntax: give them distinct SOP Instance UIDs
    import pydicom
    new = {}
    for path in (jpeg, jls, j2k):
        ds = pydicom.dcmread(path)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
        ds.save_as(path)
        new[path] = str(ds.SOPInstanceUID)
    # each sent in its own syntax (storescu proposes it first; mux takes the sender's first choice)
    for flag, path in (("-xs", jpeg), ("-xt", jls), ("-xv", j2k)):
        dcmtk("storescu", flag, "-aet", "MODALITY", "-aec", "CIRRMUX", "127.0.0.1", str(m.port), path)
    wait_until(lambda: len(os.listdir(out)) == 2, what="JPEG lossless and JPEG-LS delivered")
    got = {}
    for f in os.listdir(out):
        ds = pydicom.dcmread(os.path.join(out, f))
        got[str(ds.SOPInstanceUID)] = str(ds.file_meta.TransferSyntaxUID)
    assert got == {new[jpeg]: "1.2.840.10008.1.2", new[jls]: "1.2.840.10008.1.2"}
    original = pydicom.dcmread(plain).PixelData
    for f in os.listdir(out):
        assert pydicom.dcmread(os.path.join(out, f)).PixelData == original  # lossless all the way
    wait_until(lambda: m.metrics()['mux_dead_letters_total{destination="OLDWS"}'] == 1, what="J2K buried")
    dead = subprocess.run([MUX, "dead"], env=m.env, capture_output=True, text=True).stdout
    assert "OLDWS\t" in dead and "cannot convert" in dead


def test_destination_filters_by_modality_and_caller(mux, storescp, tmp_path):
    everything, mr_only, from_ct1 = storescp("ALL"), storescp("MRWS"), storescp("CT1WS")
    m = mux({"ALL": ("ALL", everything.port), "MRONLY": ("MRWS", mr_only.port), "CT1": ("CT1WS", from_ct1.port)},
            MUX_DEST_MRONLY_MODALITY="MR", MUX_DEST_CT1_CALLING="CT1,CT2")
    uids = make_instances(str(tmp_path / "ct"), 3)  # Modality CT
    files = sorted(glob.glob(str(tmp_path / "ct" / "*")))
    storescu(m.port, files, aet="CT1")
    storescu(m.port, files[:1], aet="OTHER")
    # the resend from OTHER is the same SOP instance: storescp keeps one file, mux forwarded it again
    wait_until(lambda: m.metrics()['mux_forwarded_total{destination="ALL"}'] == 4 and
               len(os.listdir(from_ct1.dir)) == 3, what="filtered deliveries")
    time.sleep(1)
    assert os.listdir(mr_only.dir) == []  # CT never goes to the MR-only destination
    assert received_uids(str(from_ct1.dir)) == set(uids)
    assert m.metrics()['mux_forwarded_total{destination="CT1"}'] == 3


def test_a_session_is_valgrind_clean(mux, storescp, tmp_path):
    """Receiving, group commits, forwarding, an unreachable destination's
    backoff, metrics and shutdown, under valgrind (a long-running service)."""
    up = storescp("UP")
    m = mux({"UP": ("UP", up.port), "DOWN": ("DOWN", free_port())},
            wrapper=VALGRIND)
    make_instances(str(tmp_path / "vg"), 20)
    storescu(m.port, sorted(glob.glob(str(tmp_path / "vg" / "*"))))
    wait_until(lambda: len(os.listdir(up.dir)) == 20, timeout=60, what="UP has everything")
    wait_until(lambda: m.metrics()['mux_association_failures_total{destination="DOWN"}'] >= 2, timeout=60,
               what="DOWN retried")
    assert_valgrind_clean(m)


def test_forwarding_threads_yield_to_receiving(mux, storescp, tmp_path):
    ws = storescp("WS")
    m = mux({"A": ("WS", ws.port), "B": ("WS", ws.port)}, MUX_DEST_B_WORKERS=3)
    wait_until(lambda: sorted(thread_nice_values(m.proc.pid)).count(10) == 4, what="4 workers at nice 10")
    assert 0 in thread_nice_values(m.proc.pid)  # the receiving side keeps its priority
    plain = mux({"A": ("WS", ws.port)}, spool=tmp_path / "spool2", MUX_FORWARD_NICE=0)
    time.sleep(0.5)
    assert set(thread_nice_values(plain.proc.pid)) == {0}


def test_bad_forward_nice_is_one_clear_line(tmp_path):
    r = subprocess.run([MUX], env={"MUX_DEST_A": "A,127.0.0.1,104", "MUX_SPOOL": str(tmp_path), "MUX_ALLOW": "*",
                                   "MUX_FORWARD_NICE": "25"}, capture_output=True, text=True)
    assert r.returncode == 100
    assert r.stderr.count("\n") == 1 and "MUX_FORWARD_NICE" in r.stderr


def test_an_instance_no_destination_takes_is_refused_not_dropped(mux, storescp, tmp_path):
    mr_only = storescp("MRWS")
    m = mux({"MRONLY": ("MRWS", mr_only.port)}, MUX_DEST_MRONLY_MODALITY="MR")
    make_instances(str(tmp_path / "ct"), 2)  # Modality CT
    r = dcmtk("storescu", "-v", "--no-halt", "-aet", "CT1", "-aec", "CIRRMUX", "127.0.0.1", str(m.port),
              *sorted(glob.glob(str(tmp_path / "ct" / "*"))), check=False)
    out = r.stdout + r.stderr
    # the sender sees the refusal (Refused: Not Authorized; DCMTK 3.6.7's storescu prints it as 0x124)
    assert out.count("Received Store Response (Unknown Status: 0x124)") == 2, out
    metrics = m.metrics()
    assert metrics['mux_refused_total{reason="no_destination"}'] == 2
    assert metrics["mux_received_total"] == 0
    assert m.text().count("refused (0x0124): no destination takes a CT instance") == 2


def test_a_destination_out_of_resources_keeps_its_instances(mux, storescp, tmp_path):
    # the destination: another mux whose spool is always "full", so every C-STORE gets 0xA700
    full = mux({"X": ("X", free_port())}, spool=tmp_path / "full-spool", MUX_AET="FULL", MUX_MIN_FREE_MB=1 << 30)
    full_port = full.port
    m = mux({"FULL": ("FULL", full_port)}, MUX_MAX_ATTEMPTS=2, MUX_RETRY_BASE_MS=200, MUX_RETRY_MAX_MS=1600)
    uids = make_instances(str(tmp_path / "x"), 20)
    storescu(m.port, sorted(glob.glob(str(tmp_path / "x" / "*"))))
    time.sleep(5)  # several backoff steps with the destination full
    metrics = m.metrics()
    assert metrics['mux_queue_depth{destination="FULL"}'] == 20
    assert metrics['mux_dead_letters_total{destination="FULL"}'] == 0
    assert metrics['mux_failed_attempts_total{destination="FULL"}'] == 0
    assert 2 <= metrics['mux_destination_out_of_resources_total{destination="FULL"}'] <= 12
    assert metrics['mux_destination_down_seconds{destination="FULL"}'] > 2
    # one refusal per attempt, not one per instance: the full destination saw few stores (read after
    # the sender's count, it may already have refused the next attempt, whose answer is on its way)
    attempts = metrics['mux_destination_out_of_resources_total{destination="FULL"}']
    assert attempts <= full.metrics()['mux_refused_total{reason="spool_full"}'] <= attempts + 1
    assert m.text().count("out of resources: FULL@127.0.0.1") <= 3
    # room again: a storescp takes the port, everything arrives
    full.stop()
    back = storescp("FULL", port=full_port)
    wait_until(lambda: len(os.listdir(back.dir)) == 20, timeout=60, what="FULL drained")
    assert received_uids(str(back.dir)) == set(uids)
    assert "FULL@127.0.0.1:%d works again" % full_port in m.text()
