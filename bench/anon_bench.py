#!/usr/bin/env python3
"""make bench-anon (python3 -m bench.anon_bench): one run, one machine.
1,000 CT instances (512x512x16) and 1,000 small ones (64x64), each set one
study of two series with its identity in sequences and private elements
(tests/support/anongen.py), de-identified by the systems below. Each row's
seconds are from the first file touched to the last byte durable:

  cirr-anon        the whole process: start, folder walk, read, lib/anon
                   (Basic Profile, keyed pseudonyms), each file written,
                   the output flushed (syncfs) before it exits
  orthanc          Debian's Orthanc, /instances/{id}/anonymize, one REST
                   call per instance, one after the other (the seed's way),
                   on one kept-alive HTTP connection (no TCP set-up timed);
                   the instances were uploaded before the clock starts;
                   each answer written to a file, flushed at the end
                   (os.sync), as cirr-anon's output is; the REST calls
                   alone are given below the table
  dcmodify         DCMTK's dcmodify with the same attribute list (the
                   Basic Profile column of lib/anon/profile.c: X erased,
                   Z/D and the combined codes emptied or set, private
                   erased, new random UIDs: it cannot keep them consistent;
                   rows on sequences other than X skipped: dcmodify cannot
                   empty a sequence), in place on copies, flushed at the end
  cp (floor)       no de-identification: cp -r of the input folder, then
                   os.sync: what writing the same bytes durably costs on
                   this disk, the floor of any file-to-file anonymizer

Goal (issue 14): cirr-anon at least 10x Orthanc's throughput. Beside the
wall-clock figures, CPU time per instance: on a machine shared with other
work the wall clock of a one-second run swings; the CPU it costs does not."""
import http.client
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pydicom.datadict import DicomDictionary, dictionary_VR

from tests.support import anongen
from tests.support.orthanc import Orthanc
from tests.support.paths import REPO, built

ANON = built("CIRR_ANON", "cirr-anon")
SETS = (("CT 512x512", 512), ("small 64x64", 64))
ROW = re.compile(r"\{0x([0-9A-F]{8}), ANON_(\w+),")


def make_set(folder, size):
    """1,000 instances: two series of 500."""
    anongen.study(str(folder), n=21, per_series=500, size=size)
    return anongen.dicom_files(folder)


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def process_cpu(pid):
    """User + system seconds of a running process (/proc/PID/stat)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cirr(files, work, key):
    out = work / "cirr-out"
    cpu, start = children_cpu(), time.monotonic()
    anongen.run_anon(ANON, key, [os.path.dirname(os.path.dirname(files[0]))], out)
    return time.monotonic() - start, len(anongen.dicom_files(out)), children_cpu() - cpu


def cirr_start(work, key):
    """cirr-anon on an empty folder, median of three: the fixed cost in each
    cirr-anon row (process start, DCMTK's data dictionary, the syncfs)."""
    empty = work / "empty"
    empty.mkdir()
    times = []
    for i in range(3):
        start = time.monotonic()
        anongen.run_anon(ANON, key, [empty], work / f"empty-out{i}")
        times.append(time.monotonic() - start)
    return sorted(times)[1]


def run_orthanc(files, work):
    """(seconds, n, Orthanc's CPU seconds, seconds of the REST calls alone)."""
    o = Orthanc(work)
    try:
        ids = []
        for f in files:  # uploads: not timed
            req = urllib.request.Request(f"http://127.0.0.1:{o.http}/instances", data=open(f, "rb").read(),
                                         method="POST")
            with urllib.request.urlopen(req, timeout=120) as r:
                ids.append(json.loads(r.read())["ID"])
        out = work / "orthanc-out"
        out.mkdir()
        conn = http.client.HTTPConnection("127.0.0.1", o.http, timeout=120)
        conn.connect()
        rest = 0.0
        cpu, start = process_cpu(o.proc.pid), time.monotonic()
        for i, ident in enumerate(ids):
            call = time.monotonic()
            conn.request("POST", f"/instances/{ident}/anonymize", body=b"{}")
            answer = conn.getresponse()
            data = answer.read()
            rest += time.monotonic() - call
            if answer.status != 200:
                raise RuntimeError(f"orthanc /anonymize: HTTP {answer.status}")
            (out / f"{i:05d}.dcm").write_bytes(data)
        os.sync()  # durable, as cirr-anon's output is when it exits
        seconds = time.monotonic() - start
        conn.close()
        return seconds, len(ids), process_cpu(o.proc.pid) - cpu, rest
    finally:
        o.stop()


def dcmodify_args():
    """lib/anon's Basic Profile column as dcmodify options."""
    text = open(os.path.join(REPO, "lib", "anon", "profile.c")).read()
    args = ["-nb", "-imt", "-ep", "-gst", "-gse", "-gin"]
    for tag, code in ROW.findall(text):
        t = f"({tag[:4]},{tag[4:]})"
        sequence = dictionary_VR(int(tag, 16)) == "SQ" if int(tag, 16) in DicomDictionary else True
        if code != "X" and sequence:  # dcmodify cannot empty or fill a sequence
            continue
        if code == "X":
            args += ["-ea", t]
        elif code in ("Z", "XZ", "ZD", "XZD"):
            args += ["-ma", f"{t}="]
        elif code in ("D", "XD"):
            args += ["-ma", f"{t}=ANONYMIZED"]
    return args


def run_dcmodify(files, work):
    copies = work / "dcmodify"
    shutil.copytree(os.path.dirname(os.path.dirname(files[0])), copies)
    targets = anongen.dicom_files(copies)
    args = dcmodify_args()
    cpu, start = children_cpu(), time.monotonic()
    for i in range(0, len(targets), 250):
        r = subprocess.run(["dcmodify", *args, *targets[i:i + 250]], capture_output=True, text=True)
        if r.returncode not in (0,):
            sys.stderr.write(r.stderr[-2000:])
    os.sync()
    return time.monotonic() - start, len(targets), children_cpu() - cpu


def run_copy(files, work):
    """The floor: the same bytes copied and made durable, nothing parsed."""
    src = os.path.dirname(os.path.dirname(files[0]))
    cpu, start = children_cpu(), time.monotonic()
    subprocess.run(["cp", "-r", src, str(work / "copy")], check=True)
    os.sync()
    return time.monotonic() - start, len(anongen.dicom_files(work / "copy")), children_cpu() - cpu


SYSTEMS = (("cirr-anon", lambda f, w, k: run_cirr(f, w, k)),
           ("orthanc /anonymize", lambda f, w, k: run_orthanc(f, w)),
           ("dcmodify", lambda f, w, k: run_dcmodify(f, w)),
           ("cp (floor)", lambda f, w, k: run_copy(f, w)))


def table(rows):
    print("| instances   | system             | n    | seconds | instances/s | vs Orthanc | CPU ms/instance |")
    print("|-------------|--------------------|-----:|--------:|------------:|-----------:|----------------:|")
    for label, name, n, s, cpu, _ in rows:
        ref = next(r for r in rows if r[0] == label and r[1].startswith("orthanc"))
        print(f"| {label:<11} | {name:<18} | {n:>4} | {s:>7.2f} | {n / s:>11.0f} | "
              f"{(n / s) / (ref[2] / ref[3]):>9.1f}x | {1000 * cpu / n:>15.2f} |")


def main():
    tmp = Path(tempfile.mkdtemp(prefix="cirr-anonbench-", dir=os.environ.get("BENCH_TMP", "/var/tmp")))
    rows = []
    load = os.getloadavg()
    try:
        key = anongen.key_file(str(tmp))
        for label, size in SETS:
            work = tmp / f"s{size}"
            files = make_set(work / "in", size)
            for name, run in SYSTEMS:
                os.sync()  # what earlier steps left dirty is not charged to this one
                seconds, n, cpu, *rest = run(files, work, key)
                rows.append((label, name, n, seconds, cpu, rest[0] if rest else None))
        print(f"anon benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, one run, "
              f"load average before it {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
        print()
        table(rows)
        print()
        print("seconds: first file touched to last byte durable (see bench/anon_bench.py); CPU: user +")
        print("system time of cirr-anon, dcmodify and cp (children), of the Orthanc server process alone")
        print("(the Python client's share of the REST calls is not counted).")
        for label, name, n, s, _, rest in rows:
            if rest is not None:
                print(f"{label}: Orthanc's REST calls alone {rest:.2f} s of its {s:.2f} s "
                      f"({n / rest:.0f} instances/s)")
        print()
        print(f"cirr-anon on an empty folder (its fixed cost, median of 3): {cirr_start(tmp, key):.3f} s")
        print()
        for label, _ in SETS:
            c = next(r for r in rows if r[0] == label and r[1] == "cirr-anon")
            o = next(r for r in rows if r[0] == label and r[1].startswith("orthanc"))
            ratio = (c[2] / c[3]) / (o[2] / o[3])
            print(f"Goal (issue 14), {label}: cirr-anon at least 10x Orthanc: "
                  f"{'met' if ratio >= 10 else 'NOT met'} ({ratio:.1f}x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
