"""The RIH cirr and mock stacks on a real three-node swarm on this machine
(issue 17; doc/cloud-init.md, Tests).

Three Docker engines (tests/support/nodes.EngineNodes: one network, mount
and UTS namespace each, linked by veth pairs) are provisioned by the
user-data's own scripts: the manager initialises the swarm, the storage
and worker nodes join with the token file it wrote, every node fetches
`make release`'s tarball, verifies it with cirr-verify and loads its
images, and the manager labels the nodes and deploys the cirr and mock
stacks from the verified release, with the cluster overrides (no IPVS
here) from STACK_OVERRIDE_DIR. The tests then follow what a site does:
placement, studies pushed from another node, the worker node going away
and coming back, and a teardown that leaves nothing behind. The main
Docker engine is never touched. The watcher's Splunk is a HEC DOUBLE
(tests/support/hec_double) on this machine's end of the nodes' network.

The tests run in file order and share one swarm (module fixture)."""
import base64
import json
import os
import re
import shutil
import subprocess
import tarfile
import time

import pydicom
import pytest

from ci.swarm import single_node_env, studies_by_route
from tests.support.dicomgen import make_instances
from tests.support.hec_double import HecDouble, Token, serve
from tests.support.nodes import EngineNodes, Node
from tests.support.paths import REPO, built
from tests.support.waiting import wait_for

RELEASE_TAR = os.path.join(REPO, "build", "release.tar")
RELEASE_PUB = os.path.join(REPO, "build", "keys", "development.pub")
VERIFY = built("CIRR_VERIFY", "cirr-verify")
NAMES = ["cirr-manager", "cirr-storage", "cirr-worker"]
MANAGER, STORAGE, WORKER = 1, 2, 3
SECRETS = {"postgres_password": "pg-cluster-secret", "orthanc_password": "orthanc-cluster-secret",
           "splunk_hec_token": "11111111-2222-3333-4444-555555555555"}
PUSHED_BY_MOCK = 2  # studies mockpacs (on the manager) pushes through the mux


class Swarm:
    """The three nodes, their scratch roots and what the tests learn on the way."""

    def __init__(self, base):
        self.base = base
        (base / "engines").mkdir()
        self.engines = EngineNodes(base / "engines", NAMES, host_link=True)
        self.hec = HecDouble({SECRETS["splunk_hec_token"]: Token(indexes={"dicom"})})
        self.hec_server = serve(self.hec, EngineNodes.HOST_ADDR, 0)
        self.nodes = {}
        self.acknowledged = set()  # SOP Instance UIDs storescu saw acknowledged by the mux
        self.closed = False

    def docker(self, i, *args, check=True):
        return self.engines.docker(i, *args, check=check)

    def on_node(self, i, *cmd, timeout=300):
        """A program of this machine run in node i's network (as on that host)."""
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.engines.prefix}n{i}", *cmd],
                              capture_output=True, text=True, timeout=timeout)

    def container(self, i, service):
        out = self.docker(i, "ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}",
                          "--filter", "status=running", check=False).stdout.split()
        return out[0] if out else None

    def archive_api(self, i, path):
        """GET path of the archive replica running on node i (from inside its container)."""
        c = self.container(i, "cirr_archive")
        assert c, f"no archive replica runs on {NAMES[i - 1]}"
        auth = base64.b64encode(f"admin:{SECRETS['orthanc_password']}".encode()).decode()
        r = self.docker(i, "exec", c, "wget", "-qO-", "--header", f"Authorization: Basic {auth}",
                        f"http://127.0.0.1:8042{path}", check=False)
        if r.returncode != 0:
            raise RuntimeError(f"archive on {NAMES[i - 1]}: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def archive_uids(self, i):
        return {x["MainDicomTags"]["SOPInstanceUID"] for x in self.archive_api(i, "/instances?expand")}

    def push(self, i, folder, count, patient):
        """count new instances of one new study sent by storescu from node i
        to the mux (on the storage node): (study UID, SOP Instance UIDs)."""
        uids = make_instances(folder, count, size=32, patient=patient, patient_id=patient.split("^")[0])
        r = self.on_node(i, "storescu", "-aet", "MODALITY1", "-aec", "CIRRMUX", "+sd", "-nh",
                         self.engines.addr(STORAGE), "5252", str(folder))
        assert r.returncode == 0, r.stdout + r.stderr  # storescu exits 0 only when every C-STORE succeeded
        self.acknowledged.update(uids)
        return pydicom.dcmread(os.path.join(folder, "i00000.dcm"), stop_before_pixels=True).StudyInstanceUID, uids

    def close(self):
        if self.closed:
            return
        self.closed = True
        self.hec_server.shutdown()
        self.hec_server.server_close()
        self.hec.close()
        self.engines.close()


def placement(swarm, stacks=("cirr", "mock")):
    """{service: sorted node names of its running tasks}, as the manager sees it."""
    names = dict(line.split() for line in
                 swarm.docker(MANAGER, "node", "ls", "--format", "{{.ID}} {{.Hostname}}").stdout.splitlines())
    services = {}
    out = {}
    for stack in stacks:
        for task in swarm.docker(MANAGER, "stack", "ps", "-q", "--filter", "desired-state=running", stack,
                                 check=False).stdout.split():
            r = swarm.docker(MANAGER, "inspect", "--format", "{{.Status.State}} {{.ServiceID}} {{.NodeID}}", task,
                             check=False)
            state, svc, *node = r.stdout.split() or ["gone", ""]
            if state != "running":  # a pending task has no node
                continue
            if svc not in services:
                services[svc] = swarm.docker(MANAGER, "service", "inspect", "--format", "{{.Spec.Name}}",
                                             svc).stdout.strip()
            out.setdefault(services[svc], []).append(names[node[0]])
    return {k: sorted(v) for k, v in out.items()}


def healthy(swarm, i, service):
    c = swarm.container(i, service)
    return bool(c) and swarm.docker(i, "inspect", "-f", "{{.State.Health.Status}}", c,
                                    check=False).stdout.strip() == "healthy"


def table(p):
    return "\n".join(f"  {svc:<18} {', '.join(nodes)}" for svc, nodes in sorted(p.items()))


def stack_env(storage_root, hec_port):
    """The stacks' variables (STACK_ENV_FILE) for this cluster: the system
    test's, with the storage node's data folder and the HEC double."""
    env = single_node_env(studies=40, push_limit=PUSHED_BY_MOCK, ct_slices=3, mr_slices=2, min_free_mb=100,
                          stable_age=5)
    env.update(DATA_DIR=f"{storage_root}/data", SPLUNK_HEC_ADDRESS=f"{EngineNodes.HOST_ADDR}:{hec_port}")
    return env


@pytest.fixture(scope="module")
def swarm(tmp_path_factory):
    base = tmp_path_factory.mktemp("cluster")
    s = Swarm(base)
    try:
        yield s
    finally:
        s.close()
        shutil.rmtree(base, ignore_errors=True)


def ok(node, script):
    r = node.run(script)
    assert r.returncode == 0, f"{script}: {r.stdout}{r.stderr}"
    return r


def test_the_user_data_scripts_form_the_swarm_and_deploy_the_verified_release(swarm):
    e = swarm.engines
    common = {"RELEASE_URL": f"file://{RELEASE_TAR}"}
    manager = Node(swarm.base / "m", "manager", docker_host=e.host(MANAGER), ADVERTISE_ADDR=e.addr(MANAGER),
                   STORAGE_NODES="cirr-storage", BRIDGE_NODES=e.addr(WORKER), DEPLOY_STACKS='"cirr mock"',
                   DEPLOY_SECRETS='"' + " ".join(SECRETS) + '"', **common)
    storage = Node(swarm.base / "s", "storage", docker_host=e.host(STORAGE), ADVERTISE_ADDR=e.addr(STORAGE),
                   MANAGER_ADDR=e.addr(MANAGER), DATA_DIR_ON_ROOT_DISK="yes", **common)
    worker = Node(swarm.base / "w", "worker", docker_host=e.host(WORKER), ADVERTISE_ADDR=e.addr(WORKER),
                  MANAGER_ADDR=e.addr(MANAGER), **common)
    swarm.nodes = {MANAGER: manager, STORAGE: storage, WORKER: worker}
    for node in swarm.nodes.values():
        shutil.copyfile(RELEASE_PUB, node.root / "etc/cirr/release.pub")
        shutil.copyfile(VERIFY, node.root / "usr/local/sbin/cirr-verify")
        (node.root / "usr/local/sbin/cirr-verify").chmod(0o755)
    env = stack_env(storage.root, swarm.hec_server.server_address[1])
    (manager.root / "etc/cirr/cirr.env").write_text("".join(f"{k}='{v}'\n" for k, v in env.items()))
    (manager.root / "etc/cirr/secrets").mkdir(mode=0o700)
    for name, value in SECRETS.items():
        (manager.root / "etc/cirr/secrets" / name).write_text(value)

    ok(storage, "cirr-node-data")
    ok(manager, "cirr-node-manager")
    for node in (storage, worker):
        shutil.copyfile(manager.root / "etc/cirr/swarm/worker.token", node.root / "etc/cirr/swarm-join-token")
        ok(node, "cirr-node-join")
        ok(node, "cirr-node-images")  # each engine loads and verifies what its tasks run
    # The site's overrides, as an operator puts them there: the ones the release ships.
    overrides = manager.root / "etc/cirr/stack-overrides"
    overrides.mkdir(mode=0o700)
    with tarfile.open(RELEASE_TAR) as tar:
        for name, stack in (("cluster-override.yml", "cirr"), ("mock-cluster-override.yml", "mock")):
            (overrides / f"{stack}.yml").write_bytes(tar.extractfile(f"release/stacks/test/{name}").read())
    r = ok(manager, "cirr-node-deploy")
    assert "deployed stack cirr from" in r.stdout and "deployed stack mock from" in r.stdout, r.stdout

    nodes = swarm.docker(MANAGER, "node", "ls", "--format", "{{.Hostname}} {{.Status}}").stdout.split("\n")
    assert sorted(n for n in nodes if n) == [f"{n} Ready" for n in NAMES]
    labels = {n: swarm.docker(MANAGER, "node", "inspect", "--format", "{{json .Spec.Labels}}", n).stdout.strip()
              for n in NAMES}
    assert labels == {"cirr-manager": "{}", "cirr-storage": '{"storage":"true"}', "cirr-worker": '{"bridge":"true"}'}


def test_every_service_runs_where_its_labels_place_it(swarm):
    want = {"cirr_postgres": ["cirr-storage"], "cirr_mux": ["cirr-storage"], "cirr_watcher": ["cirr-storage"],
            "mock_workstation": ["cirr-storage"], "cirr_bridge": ["cirr-worker"], "mock_mockpacs": ["cirr-manager"]}

    def placed():
        p = placement(swarm)
        return all(p.get(k) == v for k, v in want.items()) and len(set(p.get("cirr_archive", []))) == 2
    wait_for(placed, timeout=300, what="every task placed and running", every=2)
    p = placement(swarm)
    print("\nplacement:\n" + table(p))
    for svc, nodes in p.items():
        for name in nodes:
            i = NAMES.index(name) + 1
            wait_for(lambda: healthy(swarm, i, svc), timeout=300, what=f"{svc} healthy on {name}", every=2)
    swarm.archive_nodes = [NAMES.index(n) + 1 for n in p["cirr_archive"]]


def mock_pushed(swarm):
    """{StudyInstanceUID: instances} mockpacs logged as completely sent to the mux (each acknowledged)."""
    c = swarm.container(MANAGER, "mock_mockpacs")
    r = swarm.docker(MANAGER, "logs", c, check=False) if c else None
    found = re.findall(r"study (\S+) \((?:CT|MR|CR), (\d+) instances\) sent to MUX", r.stdout + r.stderr) if r else []
    return {uid: int(n) for uid, n in found}


def wait_archived(swarm, i, what):
    """Every instance acknowledged so far (storescu's, and mockpacs' studies
    once all were sent) in the archive replica on node i: its count."""
    def archived():
        sent = mock_pushed(swarm)
        have = swarm.archive_uids(i)
        return len(sent) == PUSHED_BY_MOCK and swarm.acknowledged <= have and \
            len(have) == len(swarm.acknowledged) + sum(sent.values())
    wait_for(archived, timeout=300, what=what, every=2)
    return len(swarm.archive_uids(i))


def test_studies_pushed_from_another_node_are_archived_and_indexed(swarm):
    study, _ = swarm.push(MANAGER, swarm.base / "study1", 12, "CLUSTER1^BEFORE")
    first, second = swarm.archive_nodes
    swarm.before = wait_archived(swarm, first, "storescu's and mockpacs' instances in the archive")
    assert swarm.archive_uids(second) == swarm.archive_uids(first)  # both replicas: one PostgreSQL
    print(f"\nbefore the node stop: archive holds {swarm.before} instances: {len(swarm.acknowledged)} from "
          f"storescu on cirr-manager, {sum(mock_pushed(swarm).values())} of {PUSHED_BY_MOCK} studies from "
          f"mockpacs on cirr-manager")

    def indexed():  # by the watcher (storage node) into the HEC double on this machine
        with swarm.hec.lock:
            events = list(swarm.hec.events)
        return study in studies_by_route(events).get("index_studies", {})
    wait_for(indexed, timeout=180, what="the study indexed by the watcher", every=2)


def test_the_worker_going_away_loses_nothing_and_the_archive_answers(swarm):
    before = placement(swarm)
    assert WORKER in swarm.archive_nodes  # cluster-override.yml spreads the archive by the bridge label
    started = time.monotonic()
    swarm.engines.stop(WORKER)
    # At once, before the swarm notices: a modality on the manager sends
    # another study. The mux acknowledges it (its spool is on the storage
    # node); the archive replica it resolves may be the one just gone.
    swarm.push(MANAGER, swarm.base / "study2", 8, "CLUSTER2^DURING")
    worker_id = swarm.docker(MANAGER, "node", "ls", "-q", "--filter", "name=cirr-worker").stdout.split()[0]
    wait_for(lambda: swarm.docker(MANAGER, "node", "inspect", "--format", "{{.Status.State}}",
                                  worker_id).stdout.strip() == "down", timeout=90, what="cirr-worker down", every=1)
    down_after = time.monotonic() - started
    # Its archive replica moves to the node that had none; the bridge, pinned to it, waits.
    staying = sorted(NAMES[i - 1] for i in (MANAGER, STORAGE))
    wait_for(lambda: placement(swarm).get("cirr_archive") == staying, timeout=180,
             what=f"the archive on {staying}", every=2)
    during = placement(swarm)
    assert "cirr_bridge" not in during
    answering = [NAMES.index(n) + 1 for n in during["cirr_archive"]]
    for i in answering:
        wait_for(lambda: healthy(swarm, i, "cirr_archive"), timeout=300, what=f"archive healthy on node {i}", every=2)
    swarm.during = wait_archived(swarm, answering[0], "the study sent as the worker went away")
    assert swarm.during == swarm.before + 8
    for i in answering[1:]:
        assert len(swarm.archive_uids(i)) == swarm.during
    print(f"\ncirr-worker stopped: marked down after {down_after:.1f} s; archive replicas on {during['cirr_archive']} "
          f"after {time.monotonic() - started:.1f} s\nplacement while it was away:\n" + table(during) +
          f"\narchive: {swarm.before} instances before, {swarm.during} after 8 more sent as cirr-worker went away")

    swarm.engines.start(WORKER)
    swarm.engines.wait_up(WORKER)
    wait_for(lambda: placement(swarm).get("cirr_bridge") == ["cirr-worker"], timeout=180,
             what="the bridge back on cirr-worker", every=2)
    wait_for(lambda: healthy(swarm, WORKER, "cirr_bridge"), timeout=300, what="the bridge healthy", every=2)
    after = placement(swarm)
    swarm.after = len(swarm.archive_uids(answering[0]))
    assert swarm.after == swarm.during
    print("\ncirr-worker back:\n" + table(after) + f"\narchive: {swarm.after} instances")
    assert before["cirr_postgres"] == after["cirr_postgres"] == ["cirr-storage"]


def test_the_teardown_leaves_nothing_behind(swarm):
    for stack in ("mock", "cirr"):
        swarm.docker(MANAGER, "stack", "rm", stack)
    wait_for(lambda: not swarm.docker(MANAGER, "service", "ls", "-q").stdout.split(), timeout=120,
             what="every service removed", every=1)
    swarm.close()
    assert swarm.engines.leftovers() == []
    for i in (MANAGER, STORAGE, WORKER):
        assert subprocess.run(["docker", "-H", swarm.engines.host(i), "info"], capture_output=True,
                              timeout=30).returncode != 0
