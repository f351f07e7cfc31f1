#!/usr/bin/env python3
"""make bench-mux (python3 -m bench.mux_bench): one run, one machine. 1,000 CT instances (512x512x16,
from mockpacs) and 1,000 small ones (64x64), sent by DCMTK storescu on one
association, fanned out to two DCMTK storescp destinations that write
files. Side by side:

  mux                cirr-mux (durable spool, group commit)
  mux, no forwarding the same with both destinations unreachable: durable
                     ingest alone, as storescp alone is ingest alone
  orthanc-router     Debian's Orthanc as the seed's router: Lua
                     OnStoredInstance -> SendToModality to both
  storescp alone     one storescp writing files, no fsync, no forwarding:
                     the ingest ceiling

For each: ingest (until the sender has every answer), end to end (until
both destinations have everything), and for mux the group commits per
acknowledged instance. TCP_NODELAY everywhere.

Goals (issue 5): mux at least 10x Orthanc-as-router end to end; mux's
durable ingest at least 70% of bare storescp's."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from tests.support.dicomgen import make_instances
from tests.support.mockpacs import MOCKPACS as MOCK
from tests.support.mux import MUX, read_metrics
from tests.support.ports import free_port, wait_port

ENV = dict(os.environ, TCP_NODELAY="1")


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


def send_and_wait(files, port, aec, dest_dirs):
    t0 = time.monotonic()
    subprocess.run(["storescu", "-aec", aec, "127.0.0.1", str(port), *files], env=ENV, check=True,
                   capture_output=True)
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


def start_mux(procs, spool, dest_ports):
    """cirr-mux on free ports, forwarding to A and B on dest_ports; returns
    its DICOM and HTTP ports once it listens."""
    port, http = free_port(), free_port()
    procs.start([MUX], env=dict(ENV, MUX_PORT=str(port), MUX_HTTP_PORT=str(http), MUX_ALLOW="*",
                                MUX_SPOOL=spool, MUX_MIN_FREE_MB="100",
                                MUX_DEST_A=f"A,127.0.0.1,{dest_ports[0]}", MUX_DEST_B=f"B,127.0.0.1,{dest_ports[1]}"))
    wait_port(port)
    return port, http


def commits_per_instance(http):
    metrics = read_metrics(http)
    return metrics["mux_group_commits_total"] / metrics["mux_received_total"]


def run_mux(tmp, files, tag):
    procs = Procs()
    try:
        dirs, ports = destinations(procs, tmp, f"mux-{tag}")
        port, http = start_mux(procs, os.path.join(tmp, f"spool-{tag}"), ports)
        ingest, total = send_and_wait(files, port, "CIRRMUX", dirs)
        return ingest, total, commits_per_instance(http)
    finally:
        procs.stop()


def run_mux_alone(tmp, files, tag):
    """Durable ingest with nothing forwarded (both destinations unreachable):
    the same work as bare storescp plus the commit, without two receivers
    writing on the same two cores and disk."""
    procs = Procs()
    try:
        port, http = start_mux(procs, os.path.join(tmp, f"spool-alone-{tag}"), (free_port(), free_port()))
        ingest, _ = send_and_wait(files, port, "CIRRMUX", [])
        return ingest, None, commits_per_instance(http)
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
        ingest, total = send_and_wait(files, dicom, "ROUTER", dirs)
        return ingest, total, None
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
        return ingest, None, None
    finally:
        procs.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="cirr-muxbench-", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    try:
        ct = make_ct(tmp, Procs())
        make_instances(os.path.join(tmp, "small"), 1000)
        sets = {"CT 512x512": ct, "small 64x64": sorted(glob.glob(os.path.join(tmp, "small", "*")))}
        rows = []
        for label, files in sets.items():
            tag = label.split()[0].lower()
            for name, fn in (("mux", run_mux), ("mux, no forwarding", run_mux_alone),
                             ("orthanc-router", run_orthanc), ("storescp alone", run_storescp)):
                ingest, total, commits = fn(tmp, files, tag)
                rows.append((label, name, len(files), ingest, total, commits))
        print(f"mux benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, one run; "
              "two storescp destinations writing files; TCP_NODELAY")
        print()
        print("| instances   | system             | n    | ingest/s | end-to-end/s (both destinations) | group commits per instance |")
        print("|-------------|--------------------|-----:|---------:|---------------------------------:|---------------------------:|")
        for label, name, n, ingest, total, commits in rows:
            c = f"{commits:.2f}" if commits is not None else "-"
            e2e = f"{n / total:.0f}" if total is not None else "(no forwarding)"
            print(f"| {label:<11} | {name:<18} | {n:>4} | {n / ingest:>8.0f} | {e2e:>32} | {c:>26} |")
        print()
        for label in sets:
            r = {name: (n / ingest, n / total if total else None) for l, name, n, ingest, total, _ in rows if l == label}
            bare = r["storescp alone"][0]
            print(f"{label}: mux end to end {r['mux'][1] / r['orthanc-router'][1]:.1f}x Orthanc-as-router; "
                  f"mux durable ingest {r['mux'][0] / bare * 100:.0f}% of bare storescp while forwarding, "
                  f"{r['mux, no forwarding'][0] / bare * 100:.0f}% with nothing forwarded")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
