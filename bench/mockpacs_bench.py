#!/usr/bin/env python3
"""make bench-mockpacs (python3 -m bench.mockpacs_bench): one run, one machine.

1. C-FIND latency on a 100,000-study index (study level), over one
   association (bench/find_bench.c): by a 1-day and a 7-day date range and
   by PatientID; median, 95th percentile and worst, with matches per query.
2. C-MOVE of a 500-instance CT study (512x512x16) to a DCMTK storescp:
   mockpacs, next to Debian's Orthanc serving the same 500 instances
   (retrieved from mockpacs and stored into Orthanc first). TCP_NODELAY on
   every side.

Goals (issue 4): C-FIND median at most 20 ms on 100,000 studies; C-MOVE at
least 2x Orthanc's instances per second."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from tests.support.mockpacs import MOCKPACS as MOCK
from tests.support.paths import built
from tests.support.ports import free_port, wait_port

FIND = built("CIRR_FIND_BENCH", "find_bench")
ENV = dict(os.environ, TCP_NODELAY="1")


def move_seconds(port, aec, uid, dest_aet, dest_dir=None, null_log=None):
    """Seconds for one C-MOVE, and instances the destination received."""
    if dest_dir:
        shutil.rmtree(dest_dir, ignore_errors=True)
        os.makedirs(dest_dir)
    before = open(null_log).read().count("Received Store Request") if null_log else 0
    t0 = time.monotonic()
    subprocess.run(["movescu", "-S", "-aec", aec, "-aem", dest_aet, "-k", "QueryRetrieveLevel=STUDY", "-k",
                    f"StudyInstanceUID={uid}", "127.0.0.1", str(port)], env=ENV, check=True, capture_output=True)
    dt = time.monotonic() - t0
    if dest_dir:
        return dt, len(os.listdir(dest_dir))
    time.sleep(0.2)
    return dt, open(null_log).read().count("Received Store Request") - before


def main():
    tmp = tempfile.mkdtemp(prefix="cirr-bench-")
    procs = []
    try:
        # 1. C-FIND on 100,000 studies
        port = free_port()
        procs.append(subprocess.Popen([MOCK], env=dict(ENV, MOCK_PORT=str(port), MOCK_HTTP_PORT="0",
                                      MOCK_STUDIES="100000", MOCK_END_DATE="20261101",
                                      MOCK_STORE_DIR=f"{tmp}/s1"), stderr=subprocess.DEVNULL))
        wait_port(port)
        rows = []
        for window in ("1", "7"):
            out = subprocess.run([FIND, "127.0.0.1", str(port), "MOCK", "300", "33334", "20261101", "365", window],
                                 env=ENV, check=True, capture_output=True, text=True).stdout
            rows += [l.split("\t") for l in out.strip().splitlines()]
        # 2. C-MOVE of a 500-instance CT study
        ws_port, mock_port, o_http, o_dicom = free_port(), free_port(), free_port(), free_port()
        ws_dir = f"{tmp}/ws"
        os.makedirs(ws_dir)
        procs.append(subprocess.Popen(["storescp", "-aet", "WS", "--output-directory", ws_dir, str(ws_port)],
                                      env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # the same receiver discarding what it gets: the sender's own speed
        null_port = free_port()
        null_log = f"{tmp}/null.log"
        procs.append(subprocess.Popen(["storescp", "-v", "--ignore", "-aet", "NULL", str(null_port)], env=ENV,
                                      stdout=open(null_log, "w"), stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([MOCK], env=dict(ENV, MOCK_PORT=str(mock_port), MOCK_HTTP_PORT="0",
                                      MOCK_STUDIES="10", MOCK_SITE="Main CT:CT:1:1", MOCK_CT_SLICES="499",
                                      MOCK_END_DATE="20261101", MOCK_STORE_DIR=f"{tmp}/s2",
                                      MOD_WS=f"WS,127.0.0.1,{ws_port}", MOD_NULL=f"NULL,127.0.0.1,{null_port}",
                                      MOD_ORTHANC=f"ORTHANC,127.0.0.1,{o_dicom}"), stderr=subprocess.DEVNULL))
        wait_port(ws_port)
        wait_port(null_port)
        wait_port(mock_port)
        q = subprocess.run(["findscu", "-S", "-aec", "MOCK", "-k", "QueryRetrieveLevel=STUDY", "-k",
                            "StudyInstanceUID", "127.0.0.1", str(mock_port)], env=ENV, capture_output=True, text=True)
        uid = [l.split("[")[1].split("]")[0].rstrip("\x00") for l in (q.stdout + q.stderr).splitlines()
               if "StudyInstanceUID" in l][0]
        mock_t, mock_n = move_seconds(mock_port, "MOCK", uid, "WS", ws_dir)
        mock_nt, mock_nn = move_seconds(mock_port, "MOCK", uid, "NULL", null_log=null_log)
        # Orthanc with the same study
        cfg = {"Name": "bench", "DicomAet": "ORTHANC", "DicomPort": o_dicom, "HttpPort": o_http,
               "StorageDirectory": f"{tmp}/orthanc", "IndexDirectory": f"{tmp}/orthanc",
               "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "Plugins": [],
               "DicomModalities": {"ws": ["WS", "127.0.0.1", ws_port], "mock": ["MOCK", "127.0.0.1", mock_port],
                                   "null": ["NULL", "127.0.0.1", null_port],
                                   # Orthanc answers C-MOVE only to callers it knows
                                   "movescu": ["MOVESCU", "127.0.0.1", 104]}}
        with open(f"{tmp}/orthanc.json", "w") as f:
            json.dump(cfg, f)
        procs.append(subprocess.Popen(["/usr/sbin/Orthanc", f"{tmp}/orthanc.json"], env=ENV,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(o_http)
        wait_port(o_dicom)
        subprocess.run(["movescu", "-S", "-aec", "MOCK", "-aem", "ORTHANC", "-k", "QueryRetrieveLevel=STUDY",
                        "-k", f"StudyInstanceUID={uid}", "127.0.0.1", str(mock_port)], env=ENV, check=True,
                       capture_output=True)
        with urllib.request.urlopen(f"http://127.0.0.1:{o_http}/statistics") as r:
            stored = json.loads(r.read())["CountInstances"]
        orth_t, orth_n = move_seconds(o_dicom, "ORTHANC", uid, "WS", ws_dir)
        orth_nt, orth_nn = move_seconds(o_dicom, "ORTHANC", uid, "NULL", null_log=null_log)
        print(f"mockpacs benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, one run")
        print()
        print("C-FIND, study level, 100,000 studies, 300 queries each over one association")
        print()
        print("| query               | median   | p95      | worst    | matches/query |")
        print("|---------------------|---------:|---------:|---------:|--------------:|")
        for what, med, p95, worst, matches in rows:
            print(f"| {what:<19} | {float(med):>5.2f} ms | {float(p95):>5.2f} ms | {float(worst):>5.2f} ms | {float(matches):>13.1f} |")
        print()
        print(f"C-MOVE of one CT study ({mock_n} instances, 512x512x16) to DCMTK storescp, writing files "
              "or discarding them (--ignore)")
        print()
        print("| server          | receiver          | instances | seconds | instances/s |")
        print("|-----------------|-------------------|----------:|--------:|------------:|")
        for name, t, n, recv in (("cirr-mockpacs", mock_t, mock_n, "storescp, files"),
                                 ("Debian Orthanc", orth_t, orth_n, "storescp, files"),
                                 ("cirr-mockpacs", mock_nt, mock_nn, "storescp --ignore"),
                                 ("Debian Orthanc", orth_nt, orth_nn, "storescp --ignore")):
            print(f"| {name:<15} | {recv:<17} | {n:>9} | {t:>7.2f} | {n / t:>11.0f} |")
        print()
        print(f"mockpacs / Orthanc: {(mock_n / mock_t) / (orth_n / orth_t):.1f}x writing, "
              f"{(mock_nn / mock_nt) / (orth_nn / orth_nt):.1f}x discarding (Orthanc held {stored} instances)")
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
