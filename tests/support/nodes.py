"""Nodes for the cloud-init tests: a scratch root holding what a role's
user-data writes (Node, with FAKE docker, apt-get and systemctl on PATH,
or the real docker talking to one of EngineNodes), and EngineNodes:
Docker engines on this machine, one per node, joined into a real swarm
by the user-data's own scripts (tests/system/test_cloud_init.py,
tests/cluster/)."""
import json
import os
import subprocess

import yaml

from tests.support.paths import REPO
from tests.support.waiting import wait_for

CLOUD_INIT = os.path.join(REPO, "cloud-init")
TOKEN = "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx"
MANAGER_TOKEN = "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p8dg4wthbwm2qa1tcdhkcjus"

FAKE_DOCKER = r'''#!/usr/bin/python3
"""FAKE docker for tests/support/nodes.py: records argv, keeps state."""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["docker"] + args) + "\n")
path = os.environ["FAKE_DOCKER_STATE"]
st = json.load(open(path))
def out(text="", code=0, err=""):
    json.dump(st, open(path, "w"))
    sys.stdout.write(text)
    sys.stderr.write(err)
    sys.exit(code)
fmt = args[args.index("--format") + 1] if "--format" in args else None
if args == ["info"]:
    out("Server: fake\n")
if args[:2] == ["info", "--format"]:
    out((st["swarm"] if "LocalNodeState" in fmt else st.get("node_id", "")) + "\n")
if args[:2] == ["swarm", "init"]:
    st["swarm"], st["node_id"] = "active", "self"
    st["nodes"]["self"] = {"hostname": "cirr-manager", "addr": args[3], "labels": {}}
    out("Swarm initialized\n")
if args[:2] == ["swarm", "join-token"]:
    out(st["tokens"][args[3]] + "\n")
if args[:2] == ["swarm", "join"]:
    token = args[args.index("--token") + 1]
    if token not in st["tokens"].values():
        out(code=1, err=f"Error response from daemon: invalid join token {token}\n")
    st["swarm"], st["node_id"] = "active", "joined"
    out("This node joined a swarm as a worker.\n")
if args[:3] == ["node", "ls", "-q"]:
    out("".join(i + "\n" for i in st["nodes"]))
if args[:2] == ["node", "inspect"]:
    node = st["nodes"][args[4]]
    if fmt == "{{.Description.Hostname}} {{.Status.Addr}}":
        out(f"{node['hostname']} {node['addr']}\n")
    label = fmt.split('"')[1]
    out(node["labels"].get(label, "<no value>") + "\n")
if args[:3] == ["node", "update", "--label-add"]:
    key, value = args[3].split("=")
    st["nodes"][args[4]]["labels"][key] = value
    out(args[4] + "\n")
if args[:2] in (["secret", "inspect"], ["network", "inspect"]):
    out(code=0 if args[2] in st[args[0] + "s"] else 1, err="Error: no such object\n")
if args[:2] == ["secret", "create"]:
    st["secrets"][args[2]] = open(args[3]).read()
    out("id\n")
if args[:2] == ["network", "create"]:
    st["networks"][args[-1]] = args[2:-1]
    out("id\n")
if args[0] == "load":
    st["loaded"].append(os.path.basename(args[-1]))
    out("Loaded image: cirr/tiny:0.1.0\n")
if args[:2] == ["stack", "deploy"]:
    files = [open(args[i + 1]).read() for i, a in enumerate(args) if a == "-c"]
    st["deployed"].append({"stack": args[-1], "file": files[0], "overrides": files[1:],
                           "MUX_ALLOW": os.environ.get("MUX_ALLOW")})
    out("Creating service\n")
out(code=125, err=f"fake docker: unknown command {args}\n")
'''

RECORDER = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$FAKE_LOG"
"""


def user_data(role):
    with open(os.path.join(CLOUD_INIT, f"{role}.yaml")) as f:
        text = f.read()
    return text, yaml.safe_load(text)


def settings(text, **changes):
    """node.env with each KEY=value of changes replacing that line."""
    lines = text.splitlines()
    for key, value in changes.items():
        hit = [i for i, line in enumerate(lines) if line.startswith(key + "=")]
        assert hit, f"{key} is not a setting"
        lines[hit[0]] = f"{key}={value}"
    return "\n".join(lines) + "\n"


class Node:
    """A scratch root holding what role's user-data writes, with FAKE docker,
    apt-get and systemctl first on PATH."""

    def __init__(self, tmp, role, docker_host=None, **changes):
        self.root, self.role, self.docker_host = tmp / "root", role, docker_host
        self.bin, self.log, self.state = tmp / "bin", tmp / "fake.log", tmp / "docker-state.json"
        self.bin.mkdir(parents=True)
        if not docker_host:  # else the real docker, talking to docker_host
            (self.bin / "docker").write_text(FAKE_DOCKER)
        for name in ("apt-get", "systemctl"):
            (self.bin / name).write_text(RECORDER)
        for f in self.bin.iterdir():
            f.chmod(0o755)
        self.log.touch()
        self.set_state(swarm="inactive", nodes={}, tokens={"worker": TOKEN, "manager": MANAGER_TOKEN},
                       secrets={}, networks={}, loaded=[], deployed=[])
        _, data = user_data(role)
        for entry in data["write_files"]:
            path = self.root / entry["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            content = entry["content"]
            if entry["path"] == "/etc/cirr/node.env":
                content = settings(content, **changes)
            path.write_text(content)
            path.chmod(int(entry["permissions"], 8))
        self.runcmd = data["runcmd"]

    def set_state(self, **values):
        state = json.loads(self.state.read_text()) if self.state.exists() else {}
        state.update(values)
        self.state.write_text(json.dumps(state))

    def docker_state(self):
        return json.loads(self.state.read_text())

    def calls(self):
        return self.log.read_text().splitlines()

    def run(self, script, env=None):
        full = {"PATH": f"{self.bin}:/usr/sbin:/usr/bin:/sbin:/bin", "CIRR_ROOT": str(self.root),
                "CIRR_LIB": str(self.root / "usr/local/lib/cirr/node-lib.sh"),
                "CIRR_SBIN": str(self.root / "usr/local/sbin"), "FAKE_LOG": str(self.log),
                "FAKE_DOCKER_STATE": str(self.state), "DOCKER_HOST": self.docker_host or "unix:///nonexistent.sock",
                **(env or {})}
        return subprocess.run(["/bin/sh", str(self.root / "usr/local/sbin" / script)], env=full,
                              capture_output=True, text=True, timeout=120)


class EngineNodes:
    """Docker engines on this machine, one per node, each in a network
    namespace of its own (entered with nsenter --net: `ip netns exec`
    remounts /sys and dockerd then refuses to start) and a private mount
    namespace with its own tmpfs on /run (its netns, containerd sockets
    and pid file do not meet the main engine's), its own UTS namespace
    (host name), data root and socket, --bridge=none. Veth pairs link each
    to a bridge living in a namespace of its own. The main engine is
    never touched; close() stops only the processes this started."""

    HOST_ADDR = "10.77.0.1"  # this machine on the nodes' network, with host_link

    def __init__(self, base, names, host_link=False):
        """host_link: also a veth from this machine's namespace to the
        bridge (HOST_ADDR), so that the nodes' containers reach servers the
        test runs here (a HEC double)."""
        self.base, self.names = base, names
        self.prefix = f"cc{os.getpid() % 100000}"
        self.procs = {}
        self.host_link = host_link
        try:
            self._make()
        except BaseException:
            self.close()  # what was made so far
            raise

    def _make(self):
        names = self.names
        self.ip("netns", "add", f"{self.prefix}br")
        self.nsrun(f"{self.prefix}br", "ip", "link", "add", "br0", "type", "bridge")
        self.nsrun(f"{self.prefix}br", "ip", "link", "set", "br0", "up")
        if self.host_link:
            self.ip("link", "add", f"{self.prefix}h", "type", "veth", "peer", "name", f"{self.prefix}hp")
            self.ip("link", "set", f"{self.prefix}hp", "netns", f"{self.prefix}br")
            self.nsrun(f"{self.prefix}br", "ip", "link", "set", f"{self.prefix}hp", "master", "br0", "up")
            self.ip("addr", "add", f"{self.HOST_ADDR}/24", "dev", f"{self.prefix}h")
            self.ip("link", "set", f"{self.prefix}h", "up")
        for i, _ in enumerate(names, 1):
            ns, veth, peer = f"{self.prefix}n{i}", f"{self.prefix}v{i}", f"{self.prefix}p{i}"
            self.ip("netns", "add", ns)
            self.ip("link", "add", veth, "type", "veth", "peer", "name", peer)
            self.ip("link", "set", veth, "netns", ns)
            self.ip("link", "set", peer, "netns", f"{self.prefix}br")
            self.nsrun(f"{self.prefix}br", "ip", "link", "set", peer, "master", "br0", "up")
            self.nsrun(ns, "ip", "link", "set", veth, "name", "eth0")
            self.nsrun(ns, "ip", "addr", "add", f"{self.addr(i)}/24", "dev", "eth0")
            self.nsrun(ns, "ip", "link", "set", "eth0", "up")
            self.nsrun(ns, "ip", "link", "set", "lo", "up")
        for i, _ in enumerate(names, 1):
            self.start(i)
        for i, _ in enumerate(names, 1):
            self.wait_up(i)

    @staticmethod
    def addr(i):
        return f"10.77.0.{10 + i}"

    def host(self, i):
        return f"unix://{self.base}/n{i}.sock"

    def ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)

    def nsrun(self, ns, *args):
        """args in network namespace ns (a node's: the node's prefix + n<i>)."""
        subprocess.run(["nsenter", f"--net=/run/netns/{ns}", *args], check=True, capture_output=True, timeout=30)

    def start(self, i):
        data = self.base / f"n{i}"
        data.mkdir(exist_ok=True)
        inner = (f"hostname {self.names[i - 1]} && mount -t tmpfs tmpfs /run && exec dockerd --data-root {data}/data "
                 f"--host {self.host(i)} --bridge=none --pidfile /run/docker.pid")
        log = open(self.base / f"n{i}.log", "a")
        self.procs[i] = subprocess.Popen(["nsenter", f"--net=/run/netns/{self.prefix}n{i}", "unshare", "--mount",
                                          "--uts", "--propagation", "private", "sh", "-c", inner],
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait_up(self, i):
        wait_for(lambda: self.docker(i, "info", check=False).returncode == 0, timeout=90, what=f"engine {i}",
                 every=0.5)

    def docker(self, i, *args, check=True):
        r = subprocess.run(["docker", *args], env={"PATH": os.environ["PATH"], "DOCKER_HOST": self.host(i)},
                           capture_output=True, text=True, timeout=120)
        assert not check or r.returncode == 0, f"docker {args}: {r.stderr}"
        return r

    def stop(self, i):
        p = self.procs.pop(i, None)
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)

    def close(self):
        for i, p in self.procs.items():  # all at once: each takes seconds to leave
            if p.poll() is None:
                p.terminate()
        for i in list(self.procs):
            self.stop(i)
        for i in range(1, len(self.names) + 1):  # what outlived its engine (shims): ours, in our namespace
            ns = f"{self.prefix}n{i}"
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "netns", "del", f"{self.prefix}br"], capture_output=True)
        if self.host_link:  # its peer went with the bridge's namespace; this end too, if it is still here
            subprocess.run(["ip", "link", "del", f"{self.prefix}h"], capture_output=True)

    def leftovers(self):
        """What close() should have removed and did not: namespaces, links, engine processes."""
        netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
        alive = [i for i, p in self.procs.items() if p.poll() is None]
        return ([line.split()[0] for line in netns.splitlines() if line.startswith(self.prefix)] +
                [line.split(":")[1].strip() for line in links.splitlines() if f" {self.prefix}" in line] +
                [f"engine {i}" for i in alive])
