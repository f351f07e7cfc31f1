"""cirr-mux against a hostile or broken peer, and a power cut (issue 11,
findings 7, 8, 13, 14, 15 and 16): what cannot be forwarded is refused at
once, peer values cannot forge log lines, a deep queue loads in order, the
spool's temporary file follows no planted link, every acknowledged
instance survives a power cut after the first start, and a spool file that
cannot be read becomes a dead letter at once."""
import glob
import os
import random
import re
import signal
import struct
import subprocess
import time

import pytest

from tests.dicom.test_mux import acknowledged, storescu
from tests.support.dcmtk import NODELAY
from tests.support import rawscu
from tests.support.dcmtk import received_uids
from tests.support.dicomgen import make_instances
from tests.support.mux import MUX
from tests.support.ports import free_port
from tests.support.powercut import PowerCutFS
from tests.support.waiting import wait_for

SAFE_NAME = re.compile(r"^[0-9A-Za-z._-]+$")


@pytest.fixture
def powercut(tmp_path):
    """A file system that keeps only what was made durable (request it
    before mux, so that it is unmounted after the mux has stopped)."""
    fs = PowerCutFS(tmp_path)
    yield fs
    fs.stop()


def entry_name(received_ms, seq, uid):
    """A spool entry's name, as images/mux/spool_layout.h lays it out."""
    return f"{received_ms:013d}-{seq % 1000000:06d}-{uid}.dcm"


def test_a_dataset_without_sop_uids_is_refused_at_once(mux, tmp_path):
    m = mux({"A": ("A", free_port())})
    cases = {"empty": b"", "no instance UID": rawscu.dataset(sop_class=rawscu.CT_IMAGE, modality="CT"),
             "no class UID": rawscu.dataset(sop_uid="1.2.3.4.5", modality="CT"),
             "blank UIDs": rawscu.dataset(sop_class=" ", sop_uid="", modality="CT")}
    for what, data in cases.items():
        assert rawscu.store(m.port, data) == 0xA900, what
    assert rawscu.store(m.port, rawscu.dataset(rawscu.CT_IMAGE, "1.2.3.4.6", modality="CT")) == 0x0000
    spool = tmp_path / "spool"
    assert len(os.listdir(spool / "queue" / "A")) == 1  # only the valid one
    assert os.listdir(spool / "tmp") == []
    metrics = m.metrics()
    assert metrics['mux_refused_total{reason="invalid"}'] == 4
    assert metrics["mux_received_total"] == 1
    assert m.text().count("refused (0xA900): no SOP ") == 4, m.text()


def test_peer_values_cannot_forge_log_lines(mux, tmp_path):
    m = mux({"MR": ("MR", free_port())}, MUX_DEST_MR_MODALITY="MR")
    forged = "cirr-mux: info: forged"
    data = rawscu.dataset(rawscu.CT_IMAGE, "1.2.3.4.7", modality="CT\n" + forged)
    assert rawscu.store(m.port, data, calling="EV\rIL\n" + "X" * 8) == 0x0124  # refused: no destination
    # accepted, with control characters in its SOP Instance UID: its spool name is plain
    uid = "1.2.3\n" + forged + "\x1b"
    assert rawscu.store(m.port, rawscu.dataset(rawscu.CT_IMAGE, uid, modality="MR")) == 0x0000
    wait_for(lambda: m.text().count("association ") >= 2, what="both associations logged")
    lines = m.text().splitlines()
    assert not [line for line in lines if line.startswith(forged) or line.startswith("IL")], m.text()
    assert "CT\\x0acirr-mux: info: forged" in m.text()
    assert "from EV\\x0dIL\\x0aXXXXXXXX" in m.text()
    names = os.listdir(tmp_path / "spool" / "queue" / "MR")
    assert len(names) == 1 and SAFE_NAME.match(names[0]), names


def plant_queue(queue, count, source, now_ms):
    """count hard links of source in queue, created in random order, their
    names received up to an hour ago; the oldest one's received time."""
    os.makedirs(queue, exist_ok=True)
    received = random.Random(7).sample(range(now_ms - 3600_000, now_ms - 1000), count)
    for seq, ms in enumerate(received):
        os.link(source, os.path.join(queue, entry_name(ms, seq, f"1.2.3.{seq}")))
    return min(received)


def test_a_deep_queue_loads_once_and_oldest_first(mux, tmp_path):
    spool = tmp_path / "spool"
    make_instances(str(tmp_path / "src"), 1)
    source = glob.glob(str(tmp_path / "src" / "*"))[0]
    now_ms = time.time_ns() // 1_000_000
    oldest = plant_queue(spool / "queue" / "A", 5000, source, now_ms)
    m = mux({"A": ("A", free_port())}, spool=spool, MUX_RETRY_BASE_MS=60000, MUX_RETRY_MAX_MS=60000)
    metrics = m.metrics()
    assert metrics['mux_queue_depth{destination="A"}'] == 5000
    age = metrics['mux_queue_oldest_seconds{destination="A"}']
    assert abs(age - (time.time_ns() // 1_000_000 - oldest) / 1000) < 30, age
    assert "5000 instance(s) waiting in the spool" in m.text()
    # SIGHUP re-reads: what is known stays once, what is new is added once
    for seq in range(3):
        os.link(source, spool / "queue" / "A" / entry_name(now_ms - 7200_000 + seq, 900000 + seq, "9.9"))
    m.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: m.metrics()['mux_queue_depth{destination="A"}'] == 5003, what="3 more queued")
    time.sleep(0.5)
    metrics = m.metrics()
    assert metrics['mux_queue_depth{destination="A"}'] == 5003
    assert metrics['mux_queue_oldest_seconds{destination="A"}'] > 7000


def test_a_queue_is_delivered_in_arrival_order(mux, storescp, tmp_path):
    spool = tmp_path / "spool"
    uids = make_instances(str(tmp_path / "src"), 60)
    files = sorted(glob.glob(str(tmp_path / "src" / "*")))
    queue = spool / "queue" / "A"
    queue.mkdir(parents=True)
    order = list(range(60))
    random.Random(3).shuffle(order)  # the folder's order is not the arrival order
    base = time.time_ns() // 1_000_000 - 60_000
    for i in order:
        os.link(files[i], queue / entry_name(base + i, i, uids[i]))
    ws = storescp("WS", options=("-v",))
    mux({"A": ("WS", ws.port)}, spool=spool, MUX_BATCH=7)
    wait_for(lambda: len(os.listdir(ws.dir)) == 60, timeout=60, what="all delivered")
    got = [line.rsplit("CT.", 1)[1] for line in ws.text().splitlines() if "storing DICOM file:" in line]
    assert got == uids


def test_the_spool_does_not_follow_a_planted_link(mux, storescp, tmp_path):
    ws = storescp("WS")
    spool = tmp_path / "spool"
    m = mux({"A": ("WS", ws.port)}, spool=spool)
    uid = make_instances(str(tmp_path / "one"), 1)[0]
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    # the temporary names the first instance could get over the next 20 s
    now_ms = time.time_ns() // 1_000_000
    for ms in range(now_ms - 200, now_ms + 20_000):
        os.symlink(victim, spool / "tmp" / entry_name(ms, 1, uid))
    storescu(m.port, glob.glob(str(tmp_path / "one" / "*")))
    wait_for(lambda: len(os.listdir(ws.dir)) == 1, timeout=30, what="the instance delivered")
    assert victim.read_bytes() == b"precious"
    assert received_uids(str(ws.dir)) == {uid}


def send_and_cut(m, files, fs):
    """Send files, then the power goes: kill -9 and the cut. The SOP
    Instance UIDs of the files acknowledged, from storescu's answers."""
    r = storescu(m.port, files, check=False)
    acked = acknowledged(r.stdout + r.stderr, files)
    m.killed = True
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait()
    fs.cut()
    return acked


def test_acknowledged_instances_survive_a_power_cut_after_the_first_start(powercut, mux, storescp, tmp_path):
    spool = powercut.mount / "spool"  # made by mux at its first start
    down = free_port()
    m = mux({"A": ("A", down), "B": ("B", free_port())}, spool=spool)
    uids = make_instances(str(tmp_path / "x"), 30)
    files = sorted(glob.glob(str(tmp_path / "x" / "*")))
    by_file = dict(zip(files, uids))
    acked = {by_file[f] for f in send_and_cut(m, files, powercut)}
    assert len(acked) == 30
    # the queue files are not flushed (the journal is the durable copy): the restart makes them again
    a = storescp("A", port=down)
    m2 = mux({"A": ("A", down), "B": ("B", free_port())}, spool=spool)
    wait_for(lambda: len(os.listdir(a.dir)) == 30, timeout=60, what="every acknowledged instance delivered")
    assert received_uids(str(a.dir)) == acked
    assert "30 instance(s) still to deliver, 30 queue file(s) made again" in m2.text()


def kill_9(m):
    m.killed = True
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait()


def pixels_by_uid(paths):
    import pydicom
    return {str(d.SOPInstanceUID): d.PixelData for d in (pydicom.dcmread(p) for p in paths)}


def test_a_power_cut_during_a_burst_from_four_senders_loses_no_acknowledged_instance(powercut, mux, storescp,
                                                                                     tmp_path):
    spool = powercut.mount / "spool"
    down = free_port()
    m = mux({"A": ("A", down), "B": ("B", free_port())}, spool=spool)
    uids = make_instances(str(tmp_path / "x"), 160)
    files = sorted(glob.glob(str(tmp_path / "x" / "*")))
    by_file = dict(zip(files, uids))
    logs = [tmp_path / f"sender-{i}.log" for i in range(4)]
    senders = [subprocess.Popen(["storescu", "-v", "-aec", "CIRRMUX", "127.0.0.1", str(m.port), *files[i::4]],
                                env=NODELAY, stdout=open(logs[i], "w"), stderr=subprocess.STDOUT) for i in range(4)]
    wait_for(lambda: m.metrics()["mux_received_total"] >= 40, timeout=60, what="the burst under way")
    kill_9(m)  # mid-burst: the senders' associations break
    powercut.cut()
    for p in senders:
        p.wait(60)
    acked = {by_file[f] for log in logs for f in acknowledged(log.read_text(), files)}
    assert len(acked) >= 40
    a = storescp("A", port=down)
    m2 = mux({"A": ("A", down), "B": ("B", free_port())}, spool=spool)
    wait_for(lambda: m2.metrics()['mux_queue_depth{destination="A"}'] == 0 and len(os.listdir(a.dir)) >= len(acked),
             timeout=90, what="the journal delivered to A")
    got = pixels_by_uid(os.path.join(a.dir, f) for f in os.listdir(a.dir))
    assert acked <= set(got), f"{len(acked - set(got))} acknowledged instance(s) lost"
    sent = pixels_by_uid(files)
    assert all(got[uid] == sent[uid] for uid in got)  # whole, acknowledged or not


def record_length(segment, off):
    """The length of the journal record at off (images/mux/journal_record.h)."""
    _, _, data_len, _, name_len, dests_len, ts_len, _ = struct.unpack_from("<IIQIHHHH", segment, off)
    return 28 + name_len + dests_len + ts_len + data_len


def test_a_torn_last_journal_record_is_dropped_with_a_log_line(mux, storescp, tmp_path):
    spool = tmp_path / "spool"
    down = free_port()
    m = mux({"A": ("A", down)}, spool=spool)
    uids = make_instances(str(tmp_path / "x"), 3)
    storescu(m.port, sorted(glob.glob(str(tmp_path / "x" / "*"))))
    kill_9(m)
    [segment] = [p for p in (spool / "journal").glob("*.jnl") if p.stat().st_size]
    data = segment.read_bytes()
    whole = len(data)
    first = data[:record_length(data, 0)]
    # a power cut while a fourth record was appended: its instance cut short
    segment.write_bytes(data + first[:len(first) // 2])
    a = storescp("A", port=down)
    m2 = mux({"A": ("A", down)}, spool=spool)
    wait_for(lambda: len(os.listdir(a.dir)) == 3, timeout=60, what="the three acknowledged delivered")
    assert received_uids(str(a.dir)) == set(uids)
    assert f"the record at offset {whole} is torn" in m2.text()
    assert "1 torn record(s) dropped" in m2.text()


def test_a_queue_file_a_crash_left_as_zeros_is_made_again_from_the_journal(mux, storescp, tmp_path):
    spool = tmp_path / "spool"
    down = free_port()
    m = mux({"A": ("A", down)}, spool=spool)
    make_instances(str(tmp_path / "x"), 2)
    files = sorted(glob.glob(str(tmp_path / "x" / "*")))
    storescu(m.port, files)
    kill_9(m)
    # queue files are not flushed: a file system may keep one's size and not its data
    victim = sorted((spool / "queue" / "A").iterdir())[0]
    size = victim.stat().st_size
    victim.unlink()
    victim.write_bytes(b"\0" * size)
    a = storescp("A", port=down)
    m2 = mux({"A": ("A", down)}, spool=spool)
    wait_for(lambda: len(os.listdir(a.dir)) == 2, timeout=60, what="both delivered")
    got = pixels_by_uid(os.path.join(a.dir, f) for f in os.listdir(a.dir))
    assert got == pixels_by_uid(files)
    assert f"{victim.name} did not match its journal record" in m2.text()
    assert m2.metrics()['mux_dead_letters_total{destination="A"}'] == 0


def test_a_served_journal_segment_is_removed(mux, storescp, tmp_path):
    spool = tmp_path / "spool"
    a = storescp("A")
    m = mux({"A": ("A", a.port)}, spool=spool)
    make_instances(str(tmp_path / "x"), 5)
    storescu(m.port, sorted(glob.glob(str(tmp_path / "x" / "*"))))
    wait_for(lambda: len(os.listdir(a.dir)) == 5, timeout=60, what="delivered")
    m.stop()
    assert len(list((spool / "journal").glob("*.jnl"))) == 1  # the active one, kept while it runs
    m2 = mux({"A": ("A", a.port)}, spool=spool)
    wait_for(lambda: m2.metrics()['mux_queue_depth{destination="A"}'] == 0, timeout=30, what="an empty queue")
    # the old segment, served to the end, is gone; the new one is empty
    assert [p.stat().st_size for p in (spool / "journal").glob("*.jnl")] == [0]
    assert len(os.listdir(a.dir)) == 5  # nothing sent twice


def wait_dead(m, dest, n):
    wait_for(lambda: m.metrics()[f'mux_dead_letters_total{{destination="{dest}"}}'] == n, timeout=20,
             what=f"{n} dead letter(s) for {dest}")


def test_an_unreadable_spool_file_is_a_dead_letter_at_once(mux, storescp, tmp_path):
    spool = tmp_path / "spool"
    queue = spool / "queue" / "A"
    queue.mkdir(parents=True)
    uids = make_instances(str(tmp_path / "good"), 3)
    base = time.time_ns() // 1_000_000 - 10_000
    for i, f in enumerate(sorted(glob.glob(str(tmp_path / "good" / "*")))):
        os.link(f, queue / entry_name(base + 10 + i, i, uids[i]))
    bad = {"empty": b"", "garbage": bytes(random.Random(1).randrange(256) for _ in range(3000)),
           "zeros": b"\0" * 4096}  # the last parses, as a dataset without SOP UIDs
    for i, (what, data) in enumerate(bad.items()):
        (queue / entry_name(base + i, 100 + i, what)).write_bytes(data)
    ws = storescp("WS")
    m = mux({"A": ("WS", ws.port)}, spool=spool, MUX_RETRY_BASE_MS=60000, MUX_RETRY_MAX_MS=60000)
    wait_dead(m, "A", 3)
    wait_for(lambda: len(os.listdir(ws.dir)) == 3, timeout=30, what="the good ones delivered")
    assert received_uids(str(ws.dir)) == set(uids)
    metrics = m.metrics()
    assert metrics['mux_failed_attempts_total{destination="A"}'] == 0  # no retries: at once
    assert metrics['mux_queue_depth{destination="A"}'] == 0
    dead = subprocess.run([MUX, "dead"], env=m.env, capture_output=True, text=True).stdout
    for what in bad:
        line = [x for x in dead.splitlines() if f"-{what}.dcm" in x]
        assert len(line) == 1 and ("cannot read" in line[0] or "no SOP" in line[0]), dead


def test_a_file_whose_data_the_cut_lost_is_a_dead_letter(powercut, mux, storescp, tmp_path):
    spool = powercut.mount / "spool"
    down = free_port()
    m = mux({"A": ("A", down)}, spool=spool)
    uids = make_instances(str(tmp_path / "x"), 5)
    files = sorted(glob.glob(str(tmp_path / "x" / "*")))
    r = storescu(m.port, files)
    assert len(acknowledged(r.stdout + r.stderr, files)) == 5
    # a name made durable without its data: after the cut the file is empty
    lost = spool / "queue" / "A" / entry_name(time.time_ns() // 1_000_000 - 60_000, 0, "1.2.3.lost")
    lost.write_bytes(open(files[0], "rb").read())
    fd = os.open(spool / "queue" / "A", os.O_RDONLY | os.O_DIRECTORY)
    os.fsync(fd)
    os.close(fd)
    m.killed = True
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait()
    powercut.cut()
    assert lost.exists() and lost.stat().st_size == 0
    a = storescp("A", port=down)
    m2 = mux({"A": ("A", down)}, spool=spool)
    wait_dead(m2, "A", 1)
    wait_for(lambda: len(os.listdir(a.dir)) == 5, timeout=60, what="the acknowledged ones delivered")
    assert received_uids(str(a.dir)) == set(uids)
    assert (spool / "dead" / "A" / (lost.name + ".reason")).read_text().startswith("cannot read")
