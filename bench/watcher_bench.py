#!/usr/bin/env python3
"""make bench-watcher (python3 -m bench.watcher_bench): one run, one machine.

1. Throughput: 10,000 instances stored in Debian's Orthanc, then indexed
   into the HEC test double (tests/support/hec_double.py) from Orthanc's
   /changes: cirr-watcher (route index_instances) with each instance's
   full tags (WATCH_ORTHANC_TAGS=full, the default: one GET of its
   simplified tags each, several in flight) and with Orthanc's index
   (WATCH_ORTHANC_TAGS=main: three bulk requests a page), next to a
   baseline that does what DIANA's watcher does: follow /changes, and for
   each new instance GET its simplified tags and POST one event (the tags
   as a JSON string) to HEC, each request on a new connection (DIANA's
   Requester calls requests.get/requests.post, no session: diana2,
   package/diana/utils/gateways/requester.py). Besides events/s, the CPU
   seconds Orthanc and the watcher spent per event (load-independent, on a
   shared machine), the CPU the HEC double spent per event (it runs in
   this process: a bottleneck of the double's own would show there), and
   the load average when the run started.
2. Lag at a steady load: 100 instances/s stored for 20 s, the lag of each
   from its store (Orthanc answered the POST) to its event at the double:
   median and 99th percentile, for cirr-watcher.

Goals (issue 13): at least 20x the DIANA-style events/s; p99 lag at most 2 s."""
import concurrent.futures
import json
import os
import pathlib
import resource
import statistics
import sys
import tempfile
import time
import urllib.request

import pydicom

from tests.support.dicomgen import make_instances
from tests.support.processes import Process
from tests.support.ports import free_port
from tests.support.watcher import TOKEN, WATCHER, hec_double, stable_orthanc

INSTANCES = int(os.environ.get("BENCH_WATCHER_INSTANCES", "10000"))
RATE, STEADY_SECONDS = 100, 20


def post_file(orthanc, path):
    with open(path, "rb") as f:
        req = urllib.request.Request(f"http://127.0.0.1:{orthanc.http}/instances", data=f.read(), method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["ID"]


def store_all(orthanc, paths):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda p: post_file(orthanc, p), paths))


def instances(tmp, name, count, per_series=500):
    folder = os.path.join(tmp, name)
    for s in range(0, count, per_series):
        make_instances(folder + f"/{s:06d}", min(per_series, count - s), size=8)
    return [os.path.join(d, f) for d, _, fs in sorted(os.walk(folder)) for f in sorted(fs)]


def cpu_seconds(pid):
    """User + system CPU seconds of a running process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    """User + system CPU seconds of this process (the HEC double's threads
    and the bench's polling)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Run:
    """One throughput run: events/s, CPU ms per event of Orthanc, of the
    watcher and of the HEC double (None for the baseline, which runs in
    this process), the 1-minute load average when it started."""

    def __init__(self, rate, events, orthanc_cpu, watcher_cpu, load, hec_cpu=None):
        self.rate, self.load = rate, load
        self.orthanc_ms = 1000 * orthanc_cpu / max(events, 1)
        self.watcher_ms = None if watcher_cpu is None else 1000 * watcher_cpu / max(events, 1)
        self.hec_ms = None if hec_cpu is None else 1000 * hec_cpu / max(events, 1)


def wait_count(hec, n, timeout):
    deadline = time.monotonic() + timeout
    while hec.count() < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return hec.count()


def diana_style(orthanc, hec, total):
    """DIANA's watcher's way: per change, GET the tags, POST one event."""
    base, since, sent = f"http://127.0.0.1:{orthanc.http}", 0, 0
    load, orthanc_cpu = os.getloadavg()[0], cpu_seconds(orthanc.proc.pid)
    t0 = time.monotonic()
    while sent < total:
        with urllib.request.urlopen(f"{base}/changes?since={since}&limit=100", timeout=30) as r:
            page = json.loads(r.read())
        for c in page["Changes"]:
            if c["ChangeType"] != "NewInstance":
                continue
            with urllib.request.urlopen(f"{base}/instances/{c['ID']}/simplified-tags", timeout=30) as r:
                tags = json.loads(r.read())
            body = json.dumps({"event": json.dumps(tags), "index": "dicom_instances", "sourcetype": "_json"})
            req = urllib.request.Request(hec.url() + "/services/collector/event", data=body.encode(),
                                         headers={"Authorization": f"Splunk {TOKEN}"}, method="POST")
            urllib.request.urlopen(req, timeout=30).close()
            sent += 1
        since = page["Last"]
        if page["Done"] and sent < total:
            time.sleep(0.1)
    rate = sent / (time.monotonic() - t0)
    return Run(rate, sent, cpu_seconds(orthanc.proc.pid) - orthanc_cpu, None, load)


def start_watcher(tmp, orthanc, hec, state, **more):
    port = free_port()
    env = {**more, "PATH": "/usr/bin:/bin", "WATCH_HTTP_PORT": str(port), "WATCH_STATE": state,
           "WATCH_ROUTES": "index_instances", "WATCH_ORTHANC_URL": f"http://127.0.0.1:{orthanc.http}",
           "WATCH_ORTHANC_POLL_MS": "100", "WATCH_HEC_URL": hec.url(), "WATCH_HEC_TOKEN": TOKEN}
    w = Process([WATCHER], env, os.path.join(tmp, f"watcher-{port}.log"))
    w.port = port
    w.wait_listening(30)
    return w


def throughput(tmp, orthanc, tags):
    """cirr-watcher's events/s from an empty cursor, into a new double."""
    hec = hec_double()
    try:
        load, orthanc_cpu, own_cpu = os.getloadavg()[0], cpu_seconds(orthanc.proc.pid), own_cpu_seconds()
        t0 = time.monotonic()
        w = start_watcher(tmp, orthanc, hec, os.path.join(tmp, f"state-{tags}"), WATCH_ORTHANC_TAGS=tags)
        got = wait_count(hec, INSTANCES, 900)
        rate = got / (time.monotonic() - t0)
        run = Run(rate, got, cpu_seconds(orthanc.proc.pid) - orthanc_cpu, cpu_seconds(w.proc.pid), load,
                  own_cpu_seconds() - own_cpu)
        w.stop()
        return run
    finally:
        hec.close()


def steady_lag(tmp, orthanc, hec, watcher_state):
    """Store RATE instances/s for STEADY_SECONDS; lag of each, in seconds."""
    paths = instances(tmp, "steady", RATE * STEADY_SECONDS, per_series=RATE * STEADY_SECONDS)
    uids = [str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths]
    stored, before = {}, hec.count()
    w = start_watcher(tmp, orthanc, hec, watcher_state)
    try:
        t0 = time.monotonic()
        for n, (p, uid) in enumerate(zip(paths, uids)):
            delay = t0 + n / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the pace of the load, not a synchronisation
            post_file(orthanc, p)
            stored[uid] = time.time()
        wait_count(hec, before + len(paths), 60)
    finally:
        w.stop()
    lags = [e["_received"] - stored[e["event"]["SOPInstanceUID"]] for e in hec.events[before:]
            if e["event"].get("SOPInstanceUID") in stored]
    return sorted(lags)


def main():
    tmp = tempfile.mkdtemp(prefix="cirr-bench-watcher-")
    orthanc = stable_orthanc(pathlib.Path(tmp))
    hec = hec_double()
    try:
        print(f"storing {INSTANCES} instances into Orthanc ...", file=sys.stderr)
        store_all(orthanc, instances(tmp, "bulk", INSTANCES))
        # 1a. cirr-watcher from an empty cursor, both ways of reading tags
        full, main_tags = throughput(tmp, orthanc, "full"), throughput(tmp, orthanc, "main")
        # 1b. the DIANA-style baseline, into a second double
        base_hec = hec_double()
        diana = diana_style(orthanc, base_hec, INSTANCES)
        base_hec.close()
        # 2. lag at 100 instances/s (the default way; the watcher resumes from its cursor)
        state = os.path.join(tmp, "state-full")
        lags = steady_lag(tmp, orthanc, hec, state)
        median, p99 = statistics.median(lags), lags[int(0.99 * (len(lags) - 1))]
        print(f"\n| {INSTANCES} instances, Orthanc /changes -> HEC double | events/s | vs DIANA-style "
              "| Orthanc CPU ms/event | watcher CPU ms/event | HEC double CPU ms/event | load at start |")
        print("|---|--:|--:|--:|--:|--:|--:|")
        parallel = os.environ.get("WATCH_ORTHANC_PARALLEL", "4")
        for name, run in ((f"cirr-watcher, full tags ({parallel} reads in flight)", full),
                          ("cirr-watcher, WATCH_ORTHANC_TAGS=main", main_tags),
                          ("DIANA-style (GET tags + one POST per event)", diana)):
            mine = "-" if run.watcher_ms is None else f"{run.watcher_ms:.3f}"
            double = "-" if run.hec_ms is None else f"{run.hec_ms:.3f}"
            print(f"| {name} | {run.rate:.0f} | {run.rate / diana.rate:.1f}x | {run.orthanc_ms:.3f} | {mine} "
                  f"| {double} | {run.load:.2f} |")
        best = max(full.rate, main_tags.rate)
        print(f"goal >= 20x: full tags {'met' if full.rate >= 20 * diana.rate else 'not met'}, "
              f"main tags {'met' if main_tags.rate >= 20 * diana.rate else 'not met'} (best {best / diana.rate:.1f}x)")
        print(f"\n| lag at {RATE} instances/s for {STEADY_SECONDS} s ({len(lags)} events) | seconds |")
        print("|---|---|")
        print(f"| median | {median:.3f} |")
        print(f"| p99 | {p99:.3f} (goal <= 2 s: {'met' if p99 <= 2 else 'not met'}) |")
    finally:
        hec.close()
        orthanc.stop()


if __name__ == "__main__":
    main()
