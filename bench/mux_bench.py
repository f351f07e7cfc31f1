#!/usr/bin/env python3
"""make bench-mux (python3 -m bench.mux_bench): one run, one machine. 1,000 CT instances (512x512x16,
from mockpacs) and 1,000 small ones (64x64), sent by DCMTK storescu on one
association (or four at once), fanned out to two DCMTK storescp
destinations that write files. Side by side:

  mux                cirr-mux (journal spool, group commit)
  mux, 4 senders     the same, the 1,000 instances split among four
                     storescu associations running at once (250 each)
  mux, no forwarding the same as "mux" with both destinations unreachable:
                     durable ingest alone, as storescp alone is ingest alone
  orthanc-router     Debian's Orthanc as the seed's router: Lua
                     OnStoredInstance -> SendToModality to both
  storescp alone     one storescp writing files, no fsync, no forwarding:
                     the ingest ceiling

For each: ingest (until the sender has every answer), end to end (until
both destinations have everything), and for mux the group commits and the
flushes (fsync, fdatasync, syncfs, sync_file_range, counted by strace in a
second run of the same row) per acknowledged instance. Beside the table:
the mux's start time (until its DICOM port accepts) with 100,000 queued
instances. TCP_NODELAY everywhere.

Goals (issue 5): mux at least 10x Orthanc-as-router end to end; mux's
durable ingest at least 70% of bare storescp's. Goals (issue 11): start
with 100,000 queued instances in under 2 s; with four senders at most 0.5
flushes per instance; at one sender at most one."""
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import struct
import sys
import tempfile
import textwrap
import time
import zlib
from dataclasses import dataclass
from typing import Optional

from tests.support.dicomgen import make_instances
from tests.support.mockpacs import MOCKPACS as MOCK
from tests.support.mux import MUX, read_metrics
from tests.support.ports import free_port, wait_port

ENV = dict(os.environ, TCP_NODELAY="1")
FLUSH_CALLS = ("fsync", "fdatasync", "syncfs", "sync_file_range")
# a call's first line in `strace -f -ttt`: "PID SECONDS.MICROS fsync(5) = 0"
# (or "... fsync(5 <unfinished ...>"; its "<... fsync resumed>" is not counted again)
FLUSH_LINE = re.compile(r"^\d+\s+(\d+\.\d+)\s+(?:%s)\(" % "|".join(FLUSH_CALLS))
QUEUED = 100_000
LINKS_PER_FILE = 50_000  # ext4 allows 65,000 links to one inode: 100,000 need two copies


class Procs:
    def __init__(self):
        self.all = []

    def start(self, args, env=ENV, log=None):
        p = subprocess.Popen(args, env=env, stdout=open(log or os.devnull, "w"), stderr=subprocess.STDOUT)
        self.all.append(p)
        return p

    def stop(self):
        for p in self.all:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.all = []


def count(d):
    return len(os.listdir(d))


def send(files, port, aec, senders):
    """storescu on `senders` associations at once, files split evenly among them."""
    n = len(files)
    parts = [files[i * n // senders:(i + 1) * n // senders] for i in range(senders)]
    running = []
    for part in parts:
        err = tempfile.TemporaryFile()
        running.append((subprocess.Popen(["storescu", "-aec", aec, "127.0.0.1", str(port), *part], env=ENV,
                                         stdout=subprocess.DEVNULL, stderr=err), err))
    for p, err in running:
        if p.wait() != 0:
            err.seek(0)
            sys.exit(f"bench: storescu failed ({p.returncode}): {err.read().decode(errors='replace')[-2000:]}")


def send_and_wait(files, port, aec, dest_dirs, senders=1):
    t0 = time.monotonic()
    send(files, port, aec, senders)
    ingest = time.monotonic() - t0
    while any(count(d) < len(files) for d in dest_dirs):
        if time.monotonic() - t0 > 1800:
            sys.exit("bench: destinations never got everything")
        time.sleep(0.05)
    return ingest, time.monotonic() - t0


def destinations(procs, tmp, tag):
    dirs, ports = [], []
    for name in ("A", "B"):
        d = os.path.join(tmp, f"{tag}-{name}")
        os.makedirs(d)
        port = free_port()
        procs.start(["storescp", "-aet", name, "--output-directory", d, str(port)])
        wait_port(port)
        dirs.append(d)
        ports.append(port)
    return dirs, ports


def make_ct(tmp, procs):
    """1,000 CT instances, 512x512x16, from mockpacs (C-GET)."""
    port = free_port()
    procs.start([MOCK], env=dict(ENV, MOCK_PORT=str(port), MOCK_HTTP_PORT="0", MOCK_STUDIES="1",
                                 MOCK_SITE="Main CT:CT:1:1", MOCK_CT_SLICES="999", MOCK_END_DATE="20261101",
                                 MOCK_STORE_DIR=os.path.join(tmp, "mockstore")))
    wait_port(port)
    out = os.path.join(tmp, "ct")
    os.makedirs(out)
    q = subprocess.run(["findscu", "-S", "-aec", "MOCK", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                        "127.0.0.1", str(port)], env=ENV, capture_output=True, text=True)
    uid = [l.split("[")[1].split("]")[0].rstrip("\x00") for l in (q.stdout + q.stderr).splitlines()
           if "StudyInstanceUID" in l][0]
    subprocess.run(["getscu", "-S", "-aec", "MOCK", "-od", out, "-k", "QueryRetrieveLevel=STUDY", "-k",
                    f"StudyInstanceUID={uid}", "127.0.0.1", str(port)], env=ENV, check=True, capture_output=True)
    procs.stop()
    return sorted(glob.glob(os.path.join(out, "*")))


def launch_mux(procs, spool, dest_ports, wrapper=(), **extra):
    """cirr-mux on free ports, forwarding to A and B on dest_ports; returns
    its DICOM and HTTP ports and its process (strace's with a wrapper),
    without waiting for it to listen."""
    port, http = free_port(), free_port()
    env = dict(ENV, MUX_PORT=str(port), MUX_HTTP_PORT=str(http), MUX_ALLOW="*", MUX_SPOOL=spool,
               MUX_MIN_FREE_MB="100", MUX_DEST_A=f"A,127.0.0.1,{dest_ports[0]}",
               MUX_DEST_B=f"B,127.0.0.1,{dest_ports[1]}", **extra)
    return port, http, procs.start([*wrapper, MUX], env=env)


def strace_wrapper(out):
    """strace stopping only at the flush calls (seccomp-bpf: the rest runs
    at full speed), every thread, each call with its wall-clock time."""
    return ["strace", "--seccomp-bpf", "-f", "-ttt", "-qq", "-o", out, "-e", "trace=" + ",".join(FLUSH_CALLS)]


def stop_traced(strace):
    """SIGTERM to the mux under strace (strace itself ignores it), then
    wait for strace to write out its log."""
    with open(f"/proc/{strace.pid}/task/{strace.pid}/children") as f:
        for pid in f.read().split():
            os.kill(int(pid), signal.SIGTERM)
    strace.wait(60)


def flushes_between(log, t0, t1):
    with open(log) as f:
        return sum(1 for line in f if (m := FLUSH_LINE.match(line)) and t0 <= float(m.group(1)) <= t1)


@dataclass
class MuxRun:
    ingest: float
    total: Optional[float]  # None with nothing forwarded
    received: float  # mux_received_total
    commits: float  # mux_group_commits_total
    counted_fsyncs: float  # mux_fsyncs_total's increase over the row
    flushes: Optional[int] = None  # strace's count, from the first instance sent to the run's end


def run_mux(tmp, files, tag, senders=1, forwarding=True, traced=False):
    """One mux row: senders associations at once, into the mux forwarding to
    two storescp (or to two unreachable ports); traced: under strace."""
    procs = Procs()
    name = f"mux{senders}-{'fwd' if forwarding else 'alone'}-{tag}{'-strace' if traced else ''}"
    try:
        dirs, ports = destinations(procs, tmp, name) if forwarding else ([], (free_port(), free_port()))
        log = os.path.join(tmp, name + ".strace")
        port, http, proc = launch_mux(procs, os.path.join(tmp, "spool-" + name), ports,
                                      strace_wrapper(log) if traced else ())
        wait_port(port, 60)
        wait_port(http, 60)
        before = read_metrics(http)["mux_fsyncs_total"]  # the start's (the spool's folders, a segment)
        t0 = time.time()
        ingest, total = send_and_wait(files, port, "CIRRMUX", dirs, senders)
        t1 = time.time()
        m = read_metrics(http)
        run = MuxRun(ingest, total if forwarding else None, m["mux_received_total"],
                     m["mux_group_commits_total"], m["mux_fsyncs_total"] - before)
        if traced:
            stop_traced(proc)
            run.flushes = flushes_between(log, t0, t1)
        return run
    finally:
        procs.stop()


LUA = """function OnStoredInstance(instanceId, tags, metadata, origin)
  SendToModality(instanceId, 'a')
  SendToModality(instanceId, 'b')
end
"""


def run_orthanc(tmp, files, tag):
    procs = Procs()
    try:
        dirs, ports = destinations(procs, tmp, f"orthanc-{tag}")
        http, dicom = free_port(), free_port()
        lua = os.path.join(tmp, "router.lua")
        with open(lua, "w") as f:
            f.write(LUA)
        cfg = {"Name": "router", "DicomAet": "ROUTER", "DicomPort": dicom, "HttpPort": http,
               "StorageDirectory": os.path.join(tmp, f"orthanc-{tag}"), "IndexDirectory": os.path.join(tmp, f"orthanc-{tag}"),
               "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "Plugins": [], "LuaScripts": [lua],
               "DicomModalities": {"a": ["A", "127.0.0.1", ports[0]], "b": ["B", "127.0.0.1", ports[1]]}}
        path = os.path.join(tmp, f"orthanc-{tag}.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        procs.start(["/usr/sbin/Orthanc", path])
        wait_port(dicom)
        return send_and_wait(files, dicom, "ROUTER", dirs)
    finally:
        procs.stop()


def run_storescp(tmp, files, tag):
    procs = Procs()
    try:
        d = os.path.join(tmp, f"alone-{tag}")
        os.makedirs(d)
        port = free_port()
        procs.start(["storescp", "--output-directory", d, str(port)])
        wait_port(port)
        ingest, _ = send_and_wait(files, port, "ANY-SCP", [d])
        return ingest, None
    finally:
        procs.stop()


def entry_name(received_ms, seq, uid):
    """A spool entry's name, as images/mux/spool_layout.h lays it out."""
    return f"{received_ms:013d}-{seq % 1000000:06d}-{uid}.dcm"


def journal_record(name, dests, ts, data):
    """A journal record, as images/mux/journal_record.h lays it out."""
    strings = name.encode() + dests.encode() + ts.encode()
    rest = struct.pack("<QIHHHH", len(data), zlib.crc32(data), len(name), len(dests), len(ts), 0) + strings
    return struct.pack("<II", 0x314A5243, zlib.crc32(rest)) + rest + data


def plant_queue(tmp, spool, count, source):
    """count instances waiting for destination A, as the mux leaves them:
    records in a journal segment, and hard links of source (of copies of
    it: LINKS_PER_FILE each) in queue/A, created in random order, their
    names received up to an hour ago."""
    queue = os.path.join(spool, "queue", "A")
    os.makedirs(queue)
    os.makedirs(os.path.join(spool, "journal"))
    data = open(source, "rb").read()
    now_ms = time.time_ns() // 1_000_000
    received = random.Random(7).sample(range(now_ms - 3600_000, now_ms - 1000), count)
    with open(os.path.join(spool, "journal", f"{1:016x}.jnl"), "wb") as segment:
        for seq, ms in enumerate(received):
            if seq % LINKS_PER_FILE == 0:
                copy = os.path.join(tmp, f"planted-{seq // LINKS_PER_FILE}.dcm")
                shutil.copyfile(source, copy)
            name = entry_name(ms, seq, f"1.2.3.{seq}")
            os.link(copy, os.path.join(queue, name))
            segment.write(journal_record(name, "A", "1.2.840.10008.1.2.1", data))


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def queue_depth(http):
    """Queue A's depth as the mux reports it: settled, since a batch that
    failed to go is counted twice for a moment while it is put back."""
    for _ in range(50):
        depth = read_metrics(http)['mux_queue_depth{destination="A"}']
        if depth == QUEUED:
            break
        time.sleep(0.1)
    return depth


def time_to_listen(spool):
    """Seconds from starting the mux on spool (both destinations
    unreachable, no retry during the run) until its DICOM port accepts, and
    the depth of queue A it reports then."""
    procs = Procs()
    try:
        t0 = time.monotonic()
        port, http, _ = launch_mux(procs, spool, (free_port(), free_port()),
                                   MUX_RETRY_BASE_MS="600000", MUX_RETRY_MAX_MS="600000")
        while not accepts(port):
            if time.monotonic() - t0 > 300:
                sys.exit("bench: the mux never listened")
            time.sleep(0.002)
        elapsed = time.monotonic() - t0
        wait_port(http, 60)
        return elapsed, queue_depth(http)
    finally:
        procs.stop()


def start_times(tmp, source):
    """Three starts with QUEUED instances waiting for A, and one on an empty spool."""
    spool = os.path.join(tmp, "spool-deep")
    plant_queue(tmp, spool, QUEUED, source)
    deep = []
    for _ in range(3):
        elapsed, depth = time_to_listen(spool)
        if depth != QUEUED:
            sys.exit(f"bench: the mux listened with {depth:.0f} of {QUEUED} instances queued")
        deep.append(elapsed)
    empty, _ = time_to_listen(os.path.join(tmp, "spool-empty"))
    return deep, empty


MUX_ROWS = (("mux", 1, True), ("mux, 4 senders", 4, True), ("mux, no forwarding", 1, False))


def bench_set(tmp, label, files):
    """The rows of one instance set: (label, system, n, ingest, total, MuxRun or None)."""
    tag = label.split()[0].lower()
    rows = []
    for name, senders, forwarding in MUX_ROWS:
        run = run_mux(tmp, files, tag, senders, forwarding)
        traced = run_mux(tmp, files, tag, senders, forwarding, traced=True)
        rows.append((label, name, len(files), run.ingest, run.total, run, traced))
    for name, fn in (("orthanc-router", run_orthanc), ("storescp alone", run_storescp)):
        ingest, total = fn(tmp, files, tag)
        rows.append((label, name, len(files), ingest, total, None, None))
    return rows


def print_table(rows):
    print("| instances   | system             | n    | ingest/s | end-to-end/s (both destinations) "
          "| group commits per instance | flushes per instance |")
    print("|-------------|--------------------|-----:|---------:|---------------------------------:"
          "|---------------------------:|---------------------:|")
    for label, name, n, ingest, total, run, traced in rows:
        c = f"{run.commits / run.received:.2f}" if run else "-"
        f = f"{traced.flushes / traced.received:.2f}" if traced else "-"
        e2e = f"{n / total:.0f}" if total is not None else "(no forwarding)"
        print(f"| {label:<11} | {name:<18} | {n:>4} | {n / ingest:>8.0f} | {e2e:>32} | {c:>26} | {f:>20} |")


def print_notes(rows):
    runs = [(f"{label} {name}", run, t) for label, name, _, _, _, run, t in rows if t]
    odd = [f"{what}: strace {t.flushes}, mux_fsyncs_total {t.counted_fsyncs:.0f}"
           for what, _, t in runs if t.flushes != t.counted_fsyncs]
    untraced = ", ".join(f"{what} {run.counted_fsyncs / run.received:.2f}" for what, run, _ in runs)
    print()
    print(textwrap.fill(
        "Flushes per instance: fsync + fdatasync + syncfs + sync_file_range calls made by the mux (all its "
        "threads), counted by `strace -f --seccomp-bpf` from the first instance sent until the row's end "
        "(last answer; with forwarding, both destinations complete), divided by mux_received_total. strace "
        "slows the mux, so they come from a second, strace'd run of the same row; ingest, end to end and "
        "group commits are from the un-traced run. The mux's own mux_fsyncs_total counts every flush it makes "
        "(commits, journal segments, dead letters, the spool's folders at start); its increase over the row: " +
        ("it agreed with strace in every traced run" if not odd else "it differed from strace: " + "; ".join(odd)) +
        f"; in the un-traced runs it gave per instance: {untraced}.", width=110))


def verdict(ok):
    return "met" if ok else "NOT MET"


def print_goals(rows, deep, empty):
    start = statistics.median(deep)
    per = {(label, name): t.flushes / t.received for label, name, _, _, _, _, t in rows if t}
    four = {k: v for k, v in per.items() if k[1] == "mux, 4 senders"}
    one = {k: v for k, v in per.items() if k[1] != "mux, 4 senders"}
    figures = lambda d: ", ".join(f"{label} / {name}: {v:.2f}" for (label, name), v in d.items())
    print()
    print(textwrap.fill(
        f"mux start with {QUEUED:,} queued instances (their records in a journal segment, replayed; "
        f"hard links of a 64x64 instance in queue/A, {LINKS_PER_FILE:,} per copy; both destinations "
        f"unreachable), from exec until its DICOM port accepts: "
        f"median {start:.2f} s of {', '.join(f'{t:.2f}' for t in deep)} s; with an empty spool {empty:.2f} s.",
        width=110))
    print()
    print("Goals (issue 11):")
    print(f"- start with {QUEUED:,} queued instances in under 2 s: {verdict(start < 2)} ({start:.2f} s)")
    print(f"- four senders, at most 0.5 flushes per instance: {verdict(all(v <= 0.5 for v in four.values()))} "
          f"({figures(four)})")
    print(f"- one sender, at most 1 flush per instance: {verdict(all(v <= 1 for v in one.values()))} ({figures(one)})")


def print_issue5(sets, rows):
    print()
    for label in sets:
        r = {name: (n / ingest, n / total if total else None) for l, name, n, ingest, total, _, _ in rows if l == label}
        bare = r["storescp alone"][0]
        print(f"{label}: mux end to end {r['mux'][1] / r['orthanc-router'][1]:.1f}x Orthanc-as-router; "
              f"mux durable ingest {r['mux'][0] / bare * 100:.0f}% of bare storescp while forwarding, "
              f"{r['mux, no forwarding'][0] / bare * 100:.0f}% with nothing forwarded; "
              f"four senders: ingest {r['mux, 4 senders'][0] / r['mux'][0]:.2f}x one sender's")


def main():
    if not shutil.which("strace"):
        sys.exit("bench: strace counts the mux's flushes: install Debian's strace")
    tmp = tempfile.mkdtemp(prefix="cirr-muxbench-", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    try:
        ct = make_ct(tmp, Procs())
        make_instances(os.path.join(tmp, "small"), 1000)
        sets = {"CT 512x512": ct, "small 64x64": sorted(glob.glob(os.path.join(tmp, "small", "*")))}
        rows = [row for label, files in sets.items() for row in bench_set(tmp, label, files)]
        deep, empty = start_times(tmp, sets["small 64x64"][0])
        print(f"mux benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, one run; "
              "two storescp destinations writing files; TCP_NODELAY")
        print()
        print_table(rows)
        print_notes(rows)
        print_issue5(sets, rows)
        print_goals(rows, deep, empty)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
