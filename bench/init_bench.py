#!/usr/bin/env python3
"""make bench-init: cirr-init next to tini-static, dumb-init and catatonit
(Debian's packages), one run on this machine, printed as one table.

  size      stripped binary size on disk (a copy is stripped with strip(1))
  rss       VmRSS of the init with one `sleep` child, after 1 s idle
  start     median wall time of `INIT -- /bin/true` over N runs (exec of the
            init, fork/exec of the child, reaping, exit)
  wakeups   context switches of the idle init per minute (measured over
            10 s with one `sleep` child and no probe)

Goals (issue 2): size <= 1.5 MiB with libcurl, mbedTLS and libpq linked
in; idle RSS <= 1 MiB; no periodic wake-ups; start within 1 ms of tini."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 200


def inits(cirr):
    return [
        ("cirr-init", [cirr, "--"]),
        ("tini-static", ["/usr/bin/tini-static", "-s", "--"]),
        ("dumb-init", ["/usr/bin/dumb-init"]),
        ("catatonit", ["/usr/bin/catatonit", "--"]),
    ]


def stripped_size(path):
    with tempfile.TemporaryDirectory() as d:
        copy = os.path.join(d, "bin")
        shutil.copy(path, copy)
        subprocess.run(["strip", copy], check=True, capture_output=True)
        return os.path.getsize(copy)


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def idle(cmd):
    env = {"PATH": "/usr/bin:/bin", "CIRR_RUNDIR": tempfile.mkdtemp()}
    p = subprocess.Popen(cmd + ["sleep", "60"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    rss = status_field(p.pid, "VmRSS")
    c0 = status_field(p.pid, "voluntary_ctxt_switches") + status_field(p.pid, "nonvoluntary_ctxt_switches")
    time.sleep(10.0)
    c1 = status_field(p.pid, "voluntary_ctxt_switches") + status_field(p.pid, "nonvoluntary_ctxt_switches")
    p.terminate()
    p.wait()
    return rss, (c1 - c0) * 6


def start_latency(cmd):
    env = {"PATH": "/usr/bin:/bin", "CIRR_RUNDIR": tempfile.mkdtemp()}
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        subprocess.run(cmd + ["/bin/true"], env=env, check=True, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    cirr = sys.argv[1] if len(sys.argv) > 1 else "build/cirr-init"
    rows = []
    for name, cmd in inits(cirr):
        path = cmd[0]
        rss, wakeups = idle(cmd)
        rows.append((name, stripped_size(path), rss, start_latency(cmd), wakeups))
    tini = next(r for r in rows if r[0] == "tini-static")
    print(f"cirr-init benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {RUNS} starts each")
    print()
    print("| init        | stripped size | idle RSS | start (median) | vs tini   | wake-ups/min idle |")
    print("|-------------|--------------:|---------:|---------------:|----------:|------------------:|")
    for name, size, rss, start, wake in rows:
        print(f"| {name:<11} | {size / 1024:>9.0f} KiB | {rss:>4} KiB | {start * 1000:>11.2f} ms |"
              f" {(start - tini[3]) * 1000:>+6.2f} ms | {wake:>17} |")


if __name__ == "__main__":
    main()
