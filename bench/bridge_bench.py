#!/usr/bin/env python3
"""make bench-bridge (python3 -m bench.bridge_bench): one run, one machine.
Studies pulled from mockpacs into a DCMTK storescp destination (writing
files) three ways, side by side:

  direct             move_bench asks mockpacs to move to the destination (the ceiling)
  cirr-bridge        move_bench asks cirr-bridge, which relays from mockpacs
  orthanc-bridge     Debian's Orthanc as the seed's bridge, driven as DIANA
                     did: REST query of the PACS, retrieve to itself
                     (synchronous C-MOVE), then a synchronous store to the
                     destination; one study after the other

Workloads: one CT study of 1,000 instances (512x512x16), and 20 studies of
50 small (header-only) CT instances, pulled one after the other. Every way
is driven the same: one study at a time, the next asked for only when the
last is at the destination. For direct and cirr-bridge that is one C-MOVE
per study over one held association (bench/move_bench.c), timed from its
first request to its last final response; for Orthanc, one REST query,
retrieve and store per study, timed around them. (Until 2026-11-30 direct
and cirr-bridge ran one movescu process per study: its start-up, 30-60 ms,
was most of a small study's time, and Orthanc's REST client paid nothing
like it.) Nothing is pipelined, in any column: the destination (storescp
without --fork) takes one association at a time, so moves of several
studies at once would queue there whichever way they came. Each row:
seconds until the destination has every instance, instances per second,
the share of the direct pull, and the CPU seconds every process used
meanwhile (destination, mockpacs, bridge, Orthanc, move_bench): on a
shared machine the wall time follows the load, the CPU much less, so
direct and cirr-bridge are each run nine times, alternating, and the
median run of each is shown (Orthanc, ten times slower, once). The
share of cirr-bridge is the median of the nine pairs (each bridge pull
over the direct pull just before it), so that a spell in which the whole
machine runs slower falls on both sides of a pair; the ratio of the two
medians is printed beside it. Then the
median C-FIND latency of a one-day study-level query over one held
association (bench/find_bench.c, 300 queries), direct and through the
bridge. TCP_NODELAY everywhere.

Goals (issue 12): cirr-bridge at least 80% of direct and at least 3x the
Orthanc bridge; the bridge adds at most 2 ms to the median C-FIND."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from bench.mux_bench import Procs
from tests.support.bridge import BRIDGE
from tests.support.mockpacs import MOCKPACS as MOCK
from tests.support.paths import built
from tests.support.ports import free_port, wait_port

ENV = dict(os.environ, TCP_NODELAY="1")
FIND = built("CIRR_FIND_BENCH", "find_bench")
MOVE = built("CIRR_MOVE_BENCH", "move_bench")
END = "20261101"
ROUNDS = 9  # direct and cirr-bridge, alternating; Orthanc (ten times slower) once


def start(procs, tmp, name, args, env=None, ports=()):
    """One more server (bench.mux_bench's Procs), its output in tmp/name.log."""
    procs.start(args, env=dict(ENV, **(env or {})), log=os.path.join(tmp, f"{name}.log"))
    for p in ports:
        wait_port(p, 60)


def rest(port, method, path, body=None):
    data = None if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read() or b"null")


def study_uids(port, aec):
    q = subprocess.run(["findscu", "-S", "-aec", aec, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID",
                        "127.0.0.1", str(port)], env=ENV, capture_output=True, text=True, check=True)
    return [l.split("[")[1].split("]")[0].rstrip("\x00 ") for l in (q.stdout + q.stderr).splitlines()
            if "StudyInstanceUID" in l and "[" in l]


def move_all(port, aec, uids):
    """Every study moved to DEST, one after the other, over one association."""
    r = subprocess.run([MOVE, "127.0.0.1", str(port), aec, "DEST", *uids], env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, f"move_bench: {r.stderr.strip()}"
    return float(r.stdout)


def orthanc_pull(http, uid):
    """The seed's way: query the PACS, retrieve to Orthanc, send it on."""
    q = rest(http, "POST", "/modalities/pacs/query", {"Level": "Study", "Query": {"StudyInstanceUID": uid}})
    rest(http, "POST", f"/queries/{q['ID']}/answers/0/retrieve", {"TargetAet": "ORTHANC", "Synchronous": True})
    found = rest(http, "POST", "/tools/lookup", uid)
    study = [f["ID"] for f in found if f["Type"] == "Study"]
    assert study, f"Orthanc did not retrieve {uid}: {found}"
    study = study[0]
    rest(http, "POST", "/modalities/dest/store", {"Resources": [study], "Synchronous": True})


def orthanc_pull_all(http, uids):
    """Every study the seed's way, one after the other (timed by the caller's clock)."""
    for uid in uids:
        orthanc_pull(http, uid)


def cpu_seconds(pids):
    """CPU seconds used so far by the servers pids and by this script's
    finished children (move_bench)."""
    total = 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return total + t.children_user + t.children_system


def timed(dest, expected, pull_all, uids, pids):
    """(seconds, CPU seconds of every process) until dest has expected instances."""
    shutil.rmtree(dest)
    os.makedirs(dest)
    c0, t0 = cpu_seconds(pids), time.monotonic()
    moved = pull_all(uids)
    dt, cpu = time.monotonic() - t0, cpu_seconds(pids) - c0
    if moved is not None:
        dt = moved  # move_bench's own clock: from its first request to its last final response
    got = len(os.listdir(dest))
    assert got == expected, f"{got} of {expected} instances at the destination"
    return dt, cpu


def workload(tmp, name, mock_env, nstudies, per_study):
    """The three ways for one workload: {way: seconds}."""
    procs = Procs()
    mock, mock_http, bridge, bridge_http = free_port(), free_port(), free_port(), free_port()
    dest, o_http, o_dicom = free_port(), free_port(), free_port()
    dest_dir = os.path.join(tmp, f"dest-{name}")
    os.makedirs(dest_dir)
    try:
        start(procs, tmp, "dest", ["storescp", "-aet", "DEST", "--output-directory", dest_dir, str(dest)], ports=[dest])
        start(procs, tmp, "mockpacs", [MOCK], dict(mock_env, MOCK_PORT=str(mock), MOCK_HTTP_PORT=str(mock_http),
                    MOCK_END_DATE=END, MOCK_STORE_DIR=os.path.join(tmp, f"store-{name}"),
                    MOD_DEST=f"DEST,127.0.0.1,{dest}", MOD_BRIDGE=f"BRIDGE,127.0.0.1,{bridge}",
                    MOD_ORTHANC=f"ORTHANC,127.0.0.1,{o_dicom}"), ports=[mock])
        start(procs, tmp, "bridge", [BRIDGE], {"BRIDGE_PORT": str(bridge), "BRIDGE_HTTP_PORT": str(bridge_http),
                    "BRIDGE_ALLOW": "*", "MOD_PACS": f"MOCK,127.0.0.1,{mock}",
                    "MOD_DEST": f"DEST,127.0.0.1,{dest}"}, ports=[bridge])
        cfg = {"Name": "bridge", "DicomAet": "ORTHANC", "DicomPort": o_dicom, "HttpPort": o_http,
               "StorageDirectory": os.path.join(tmp, f"orthanc-{name}"),
               "IndexDirectory": os.path.join(tmp, f"orthanc-{name}"), "RemoteAccessAllowed": False,
               "AuthenticationEnabled": False, "Plugins": [], "ConcurrentJobs": 8,
               "DicomModalities": {"pacs": ["MOCK", "127.0.0.1", mock], "dest": ["DEST", "127.0.0.1", dest]}}
        with open(os.path.join(tmp, f"orthanc-{name}.json"), "w") as f:
            json.dump(cfg, f)
        start(procs, tmp, "orthanc", ["/usr/sbin/Orthanc", os.path.join(tmp, f"orthanc-{name}.json")],
                    ports=[o_http, o_dicom])
        uids = study_uids(mock, "MOCK")[:nstudies]
        assert len(uids) == nstudies
        expected = nstudies * per_study
        pids = [p.pid for p in procs.all]
        runs = {"direct": [], "cirr-bridge": []}
        for _ in range(ROUNDS):  # alternating, so that a noisy spell of the machine falls on both
            runs["direct"].append(timed(dest_dir, expected, lambda u: move_all(mock, "MOCK", u), uids, pids))
            runs["cirr-bridge"].append(timed(dest_dir, expected, lambda u: move_all(bridge, "BRIDGE", u), uids, pids))
        out = {way: sorted(r)[ROUNDS // 2] for way, r in runs.items()}  # the median by time, with its CPU
        out["paired"] = sorted(d[0] / b[0] for d, b in zip(runs["direct"], runs["cirr-bridge"]))
        out["orthanc-bridge"] = timed(dest_dir, expected, lambda u: orthanc_pull_all(o_http, u), uids, pids)
        return out
    finally:
        procs.stop()


def find_latency(tmp):
    """Median ms of a one-day study query: direct, through the bridge."""
    procs = Procs()
    mock, bridge = free_port(), free_port()
    try:
        start(procs, tmp, "mockpacs-find", [MOCK], {"MOCK_PORT": str(mock), "MOCK_HTTP_PORT": "0", "MOCK_END_DATE": END,
                    "MOCK_STUDIES": "10000", "MOCK_STORE_DIR": os.path.join(tmp, "store-find")}, ports=[mock])
        start(procs, tmp, "bridge-find", [BRIDGE], {"BRIDGE_PORT": str(bridge), "BRIDGE_HTTP_PORT": "0", "BRIDGE_ALLOW": "*",
                    "MOD_PACS": f"MOCK,127.0.0.1,{mock}"}, ports=[bridge])
        out = {}
        for way, port, aec in (("direct", mock, "MOCK"), ("cirr-bridge", bridge, "BRIDGE")):
            r = subprocess.run([FIND, "127.0.0.1", str(port), aec, "300", "3334", END, "365", "1"], env=ENV,
                               check=True, capture_output=True, text=True).stdout
            row = r.strip().splitlines()[0].split("\t")
            out[way] = (float(row[1]), float(row[2]), float(row[4]))  # median, p95, matches per query
        return out
    finally:
        procs.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="cirr-bench-bridge-")
    try:
        ct = workload(tmp, "ct", {"MOCK_STUDIES": "3", "MOCK_SITE": "Main CT:CT:1:1", "MOCK_CT_SLICES": "999"}, 1,
                      1000)
        small = workload(tmp, "small", {"MOCK_STUDIES": "40", "MOCK_SITE": "Main CT:CT:1:1", "MOCK_CT_SLICES": "49",
                                        "MOCK_PIXELS": "none"}, 20, 50)
        finds = find_latency(tmp)
    except BaseException:
        print(f"the logs are in {tmp}")
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"bridge benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, one run "
          f"(direct and cirr-bridge: the median of {ROUNDS} alternating pulls)")
    print()
    print(f"Pull into a storescp destination (seconds until it has every instance; instances/s; share of direct;\n"
          f"CPU seconds of all processes: destination, mockpacs, bridge, Orthanc, move_bench; load {os.getloadavg()[0]:.1f})")
    print()
    print(f"{'way':<16}{'1 CT study, 1,000 x 512x512':>40}{'20 studies x 50 small':>40}")
    for way in ("direct", "cirr-bridge", "orthanc-bridge"):
        cells = []
        for res, n in ((ct, 1000), (small, 1000)):
            t, cpu = res[way]
            cells.append(f"{t:7.2f} s {n / t:6.0f}/s {res['direct'][0] / t * 100:4.0f}% {cpu:5.2f} CPU-s")
        print(f"{way:<16}{cells[0]:>40}{cells[1]:>40}")
    print()
    for name, res in (("1 CT study", ct), ("20 small studies", small)):
        print(f"{name}, cirr-bridge's share of direct per round (paired, sorted): "
              + " ".join(f"{p * 100:.0f}%" for p in res["paired"]))
    print()
    print("C-FIND, study level, one-day range, 10,000 studies, 300 queries over one association")
    print()
    print(f"{'way':<16}{'median ms':>10}{'p95 ms':>10}{'answers':>10}")
    for way, (med, p95, answers) in finds.items():
        print(f"{way:<16}{med:10.2f}{p95:10.2f}{answers:10.1f}")
    print()
    ok = []
    for name, res in (("1 CT study", ct), ("20 small studies", small)):
        share = res["paired"][ROUNDS // 2]
        factor = res["orthanc-bridge"][0] / res["cirr-bridge"][0]
        ok.append(f"{name}: cirr-bridge {share * 100:.0f}% of direct, the median pair (goal >= 80%: "
                  f"{'met' if share >= 0.8 else 'not met'}; the ratio of the medians: "
                  f"{res['direct'][0] / res['cirr-bridge'][0] * 100:.0f}%), {factor:.1f}x the Orthanc bridge (goal >= 3x: "
                  f"{'met' if factor >= 3 else 'not met'})")
    added = finds["cirr-bridge"][0] - finds["direct"][0]
    ok.append(f"C-FIND: the bridge adds {added:.2f} ms to the median (goal <= 2 ms: {'met' if added <= 2 else 'not met'})")
    print("\n".join(ok))


if __name__ == "__main__":
    main()
