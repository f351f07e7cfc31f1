"""Deploying the RIH stacks on a single-node swarm, for `make demo`
(ci/demo.py) and the system test (tests/system/test_swarm.py): their
environment, swarm, node labels, secrets, networks, images, deploy,
health, and a complete teardown.

Both deploy from a release folder (`make release`: build/release/), and
only once cirr-verify has checked it against the public key: the stack
files deployed and the images loaded are the release's, never the
working tree's. A release that does not verify stops set-up before
anything is touched."""
import base64
import json
import os
import re
import secrets
import string
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(REPO, "build", "release")
RELEASE_KEY = os.path.join(REPO, "build", "keys", "development.pub")  # make release's, without RELEASE_KEY
VERIFY = os.path.join(REPO, "build", "cirr-verify")
STACK_NAMES = ["admin", "cirr", "projects", "mock", "opendose", "siren"]
SECRET_NAMES = ["postgres_password", "orthanc_password", "splunk_hec_token", "splunk_ca", "siren_anon_key",
                "siren_tls_cert", "siren_tls_key"]
SECRET_VARIABLES = {"postgres_password": "POSTGRES_PASSWORD", "orthanc_password": "ORTHANC_PASSWORD",
                    "splunk_hec_token": "SPLUNK_HEC_TOKEN"}
# Marks what a demo or test run made, so that nothing else is ever removed.
THROWAWAY = "org.cirr.throwaway=true"
NODE_LABELS = ["storage", "bridge"]


def single_node_env(studies, push_limit, ct_slices, mr_slices, min_free_mb, stable_age=10, pacs_interval=10,
                    pacs_lookback_days=7):
    """The variables the cirr, projects and mock stacks need on one node:
    the mux takes any caller and forwards to the mock stack's workstation,
    and mockpacs, standing in for the PACS, pushes push_limit of its studies
    through the mux at 3600 simulated hours per hour. The bridge admits
    the PACS watcher's AE title only (its own query page needs none). The
    archive's studies are stable stable_age seconds after their last
    instance; the PACS watcher sweeps the PACS (through the bridge) every
    pacs_interval seconds, its first sweep pacs_lookback_days back. The
    watchers' HEC is SPLUNK_HEC_ADDRESS, set once the swarm is up
    (Cluster.host_address)."""
    return {
        "SPLUNK_HEC_SCHEME": "http",
        "ORTHANC_STABLE_AGE": str(stable_age), "WATCH_AET": "CIRRWATCH",
        "WATCH_PACS_INTERVAL_S": str(pacs_interval), "WATCH_PACS_LOOKBACK_MIN": str(pacs_lookback_days * 1440),
        "MUX_ALLOW": "*", "BRIDGE_ALLOW": "CIRRWATCH", "MUX_MIN_FREE_MB": str(min_free_mb), "TZ": "America/New_York",
        "MOD_WORKSTATION": "WORKSTATION,mock_workstation,7272",
        "MOD_PACS": "MOCK,mock_mockpacs,7272",
        "MOCK_STUDIES": str(studies), "MOCK_PUSH_SPEEDUP": "3600", "MOCK_PUSH_LIMIT": str(push_limit),
        "MOCK_CT_SLICES": str(ct_slices), "MOCK_MR_SLICES": str(mr_slices),
    }


def env_example(name, release=RELEASE):
    """The variables stacks/NAME (an env example) sets, as `set -a; . ./NAME`
    would: KEY=VALUE lines, quotes around a value removed; DATA_DIR left
    out (a run's data folder is the Cluster's)."""
    env = {}
    with open(os.path.join(release, "stacks", name)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value.strip("'\"")
    env.pop("DATA_DIR", None)
    return env


def docker(*args, check=True, timeout=300, env=None):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {r.stderr.strip() or r.stdout.strip()}")
    return r


class Cluster:
    """What this run created, so that teardown removes exactly that."""

    def __init__(self, data_dir, env=None, log=print, release=RELEASE, public_key=RELEASE_KEY):
        self.data_dir = data_dir
        self.release, self.public_key = release, public_key
        self.log = log
        self.made_swarm = self.made_network = False
        self.secrets = {}
        self.deployed = []      # stacks this run deployed, in order
        self.added_labels = []  # node labels this run added
        self.on_change = None   # called once a stack is recorded, before it is deployed (make demo's state file)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.env.setdefault("DATA_DIR", data_dir)

    # -- set-up -----------------------------------------------------------

    def refuse_if_in_use(self):
        """A demo or test run deploys stacks and secrets with the production
        names: on a swarm that runs cirr it would replace them, then remove
        them. Refuse before touching anything."""
        if docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() != "active":
            return
        found = [f"stack {s}" for s in STACK_NAMES if self.stack_services(s)]
        for name in SECRET_NAMES:
            r = docker("secret", "inspect", "--format", "{{json .Spec.Labels}}", name, check=False)
            if r.returncode == 0 and "org.cirr.throwaway" not in r.stdout:
                found.append(f"secret {name}")
        if found:
            raise RuntimeError("this swarm already has " + ", ".join(found) + ": a demo or test run would "
                               "replace and then remove them; run it on a machine that does not run cirr")

    def stack_services(self, stack):
        return docker("service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}").stdout.split()

    def swarm(self):
        state = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip()
        if state != "active":
            docker("swarm", "init", "--advertise-addr", "127.0.0.1")
            self.made_swarm = True
            self.log("swarm: initialised a single-node swarm")
        node = docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        labels = json.loads(docker("node", "inspect", "--format", "{{json .Spec.Labels}}", node).stdout or "{}") or {}
        for label in NODE_LABELS:
            if labels.get(label) != "true":
                docker("node", "update", "--label-add", f"{label}=true", node)
                self.added_labels.append(label)

    def network(self):
        if docker("network", "inspect", "admin_proxy_network", check=False).returncode != 0:
            docker("network", "create", "--driver", "overlay", "--attachable", "--label", THROWAWAY,
                   "admin_proxy_network")
            self.made_network = True
            self.log("network: created admin_proxy_network (the admin stack is not deployed)")

    def make_secrets(self):
        alphabet = string.ascii_letters + string.digits
        for name, var in SECRET_VARIABLES.items():
            value = self.env.get(var) or "".join(secrets.choice(alphabet) for _ in range(20))
            self.add_secret(name, value)

    def add_secret(self, name, value):
        """A throwaway secret of this run (refuse_if_in_use checked its name)."""
        if docker("secret", "inspect", name, check=False).returncode == 0:
            docker("secret", "rm", name, check=False)
        subprocess.run(["docker", "secret", "create", "--label", THROWAWAY, name, "-"], input=value, text=True,
                       check=True, capture_output=True)
        self.secrets[name] = value

    def verify(self, *where):
        """cirr-verify on the release: its files, and its images in the
        archives (before loading) or in the engine (after); RuntimeError
        naming what differs when it does not verify."""
        r = subprocess.run([VERIFY, "verify", "--key", self.public_key, *where, self.release],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"the release at {self.release} does not verify; nothing deployed:\n"
                               f"{(r.stderr or r.stdout).strip()}")
        self.log(f"release: {(r.stderr or r.stdout).strip().splitlines()[-1]}")

    def load_images(self):
        folder = os.path.join(self.release, "images")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".tar"):
                docker("load", "-i", os.path.join(folder, name), timeout=600)
        self.verify()  # what the engine now holds under those names

    def deploy(self, stack, files):
        if stack not in self.deployed:
            self.deployed.append(stack)
            if self.on_change:
                self.on_change()
        args = ["stack", "deploy", "--resolve-image", "never"]
        for f in files:
            args += ["-c", os.path.join(self.release, "stacks", f)]
        docker(*args, stack, env=self.env)

    def setup(self):
        self.refuse_if_in_use()
        self.verify("--archives", os.path.join(self.release, "images"))
        os.makedirs(os.path.join(self.data_dir, "postgres"), exist_ok=True)
        self.swarm()
        self.network()
        self.make_secrets()
        self.load_images()

    def host_address(self):
        """The host's address as the swarm's containers reach it: the gateway
        of docker_gwbridge (the bridge every task's egress goes through)."""
        out = docker("network", "inspect", "docker_gwbridge", "--format",
                     "{{range .IPAM.Config}}{{.Gateway}} {{end}}").stdout.split()
        if not out:
            raise RuntimeError("docker_gwbridge has no gateway: cannot reach the host from the swarm")
        return out[0]

    # -- state --------------------------------------------------------------

    def services(self, stack):
        out = docker("stack", "services", stack, "--format", "{{.Name}}", check=False).stdout
        return sorted(out.split())

    def container(self, service):
        """The running container of service's task on this node, or None."""
        out = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}",
                     "--filter", "status=running").stdout.split()
        return out[0] if out else None

    def health(self, service):
        c = self.container(service)
        if not c:
            err = docker("service", "ps", "--no-trunc", "--format", "{{.Error}}", service,
                         check=False).stdout.strip().splitlines()
            return f"no task running ({err[0]})" if err and err[0] else "no task running"
        return docker("inspect", "-f", "{{.State.Health.Status}}", c).stdout.strip()

    def wait_healthy(self, stack, timeout=600):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            states = {s: self.health(s) for s in self.services(stack)}
            if states and all(v == "healthy" for v in states.values()):
                self.log(f"{stack}: all healthy: {', '.join(states)}")
                return states
            line = ", ".join(f"{k.split('_', 1)[1]} {v}" for k, v in states.items())
            if line != last:
                self.log(f"{stack}: waiting: {line}")
                last = line
            time.sleep(2)
        raise RuntimeError(f"{stack}: not healthy after {timeout}s: {states}")

    def exec(self, service, *cmd):
        c = self.container(service)
        if not c:
            raise RuntimeError(f"{service}: no running container")
        return docker("exec", c, *cmd).stdout

    def archive_api(self, path, service="cirr_archive"):
        """GET path of the archive's REST API, from inside its container."""
        pw = self.secrets["orthanc_password"]
        auth = base64.b64encode(f"admin:{pw}".encode()).decode()
        return json.loads(self.exec(service, "wget", "-qO-", "--header", f"Authorization: Basic {auth}",
                                    f"http://127.0.0.1:8042{path}"))

    def archive_uids(self):
        return {i["MainDicomTags"]["SOPInstanceUID"] for i in self.archive_api("/instances?expand")}

    def archive_studies(self):
        return {s["MainDicomTags"]["StudyInstanceUID"] for s in self.archive_api("/studies?expand")}

    def bridge_api(self, path, service="cirr_bridge", post=None):
        """GET path of the bridge's API, or POST the form post to it (busybox wget)."""
        args = ["--post-data", post] if post is not None else []
        return json.loads(self.exec(service, "wget", "-qO-", *args, f"http://127.0.0.1:8082{path}"))

    def retrieve_through_bridge(self, destination="ARCHIVE", timeout=300):
        """Asks the bridge (its JSON API, as the query page does) for the
        PACS's studies, retrieves the smallest one not in the archive yet to
        destination, and follows the job to its end: (study UID, job)."""
        answers = self.bridge_api("/api/find?level=STUDY")["answers"]
        have = self.archive_studies()
        fresh = [a for a in answers if a["StudyInstanceUID"] not in have and int(a.get("NumberOfStudyRelatedInstances") or 0)]
        if not fresh:
            raise RuntimeError(f"the bridge found no study to retrieve ({len(answers)} answers)")
        study = min(fresh, key=lambda a: int(a["NumberOfStudyRelatedInstances"]))["StudyInstanceUID"]
        job_id = self.bridge_api("/api/retrieve", post=f"study={study}&destination={destination}")["job"]
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            job = self.bridge_api(f"/api/jobs/{job_id}")
            if job["percent"] != last:
                self.log(f"bridge: retrieving {study} to {destination}: {job['percent']}% "
                         f"({job['completed']} of {job['total']} instances)")
                last = job["percent"]
            if job["state"] != "running":
                return study, job
            time.sleep(1)
        raise RuntimeError(f"bridge: the retrieve of {study} did not end within {timeout} s")

    def workstation_uids(self, service="mock_workstation"):
        out = self.exec(service, "ls", "/var/lib/mockpacs")
        return {f[:-4] for f in out.split() if f.endswith(".dcm")}

    def watcher_metric(self, service, name):
        """The sum of a watcher's metric over its labels, from /metrics."""
        text = self.exec(service, "wget", "-qO-", "http://127.0.0.1:8083/metrics")
        return sum(float(line.split()[-1]) for line in text.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " "))

    def netns_run(self, service, cmd, env=None, timeout=120):
        """Runs the host's program cmd in the network namespace of service's
        container (its images carry no clients: psql, getscu): stdout."""
        c = self.container(service)
        if not c:
            raise RuntimeError(f"{service}: no running container")
        pid = docker("inspect", "-f", "{{.State.Pid}}", c).stdout.strip()
        r = subprocess.run(["nsenter", "-t", pid, "-n", *cmd], capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
        if r.returncode != 0:
            raise RuntimeError(f"{cmd[0]} in {service}'s network: {r.stderr.strip()}")
        return r.stdout

    def pg_query(self, service, database, sql):
        """sql's rows (psql -tA: one a line, '|' between columns) from
        service's PostgreSQL, as user postgres with the postgres_password secret."""
        return self.netns_run(service, ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql],
                              env={"PGPASSWORD": self.secrets["postgres_password"], "PGCONNECT_TIMEOUT": "10"})

    def metrics(self, service, port):
        """[(name, {label: value}, value)] of a service's GET /metrics (Prometheus text)."""
        out = []
        for line in self.exec(service, "wget", "-qO-", f"http://127.0.0.1:{port}/metrics").splitlines():
            m = re.match(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$', line)
            if m:
                labels = dict(re.findall(r'([a-z_]+)="([^"]*)"', m.group(2) or ""))
                out.append((m.group(1), labels, float(m.group(3))))
        return out

    def pushed_studies(self, service="mock_mockpacs"):
        """{StudyInstanceUID: instances} of the studies mockpacs logged as
        completely sent (push mode)."""
        r = docker("logs", self.container(service) or service, check=False)
        found = re.findall(r"study (\S+) \((?:CT|MR|CR|DX|US|MG), (\d+) instances\) sent to ", r.stdout + r.stderr)
        return {uid: int(n) for uid, n in found}

    def mock_status(self, service="mock_mockpacs"):
        return json.loads(self.exec(service, "wget", "-qO-", "http://127.0.0.1:8080/status"))

    # -- teardown -----------------------------------------------------------

    def remove_stack(self, stack, timeout=120):
        """Remove stack and the anonymous volumes its tasks made (the images'
        VOLUME folders); its named volumes stay until teardown."""
        self.remove_stacks([stack], timeout)

    def remove_stacks(self, stacks, timeout=120):
        """remove_stack for several stacks at once: one `docker stack rm`,
        so that their tasks stop side by side, not one stack after another."""
        if not stacks:
            return
        def containers():
            return {cid for s in stacks for cid in docker("ps", "-aq", "--filter",
                                                          f"label=com.docker.stack.namespace={s}").stdout.split()}
        anonymous = set()
        for cid in containers():
            mounts = json.loads(docker("inspect", "-f", "{{json .Mounts}}", cid, check=False).stdout or "[]")
            anonymous |= {m["Name"] for m in mounts or [] if m.get("Type") == "volume" and len(m.get("Name", "")) == 64}
        docker("stack", "rm", *stacks, check=False)
        deadline = time.monotonic() + timeout
        while containers() and time.monotonic() < deadline:
            time.sleep(1)
        for volume in anonymous:
            docker("volume", "rm", "-f", volume, check=False)

    def teardown(self):
        """Removes what this run made, and only that: its stacks (latest
        first) with their volumes and networks, its secrets, its node
        labels, its network, its swarm."""
        stacks = list(reversed(self.deployed))
        self.remove_stacks(stacks)
        for name in self.secrets:
            r = docker("secret", "inspect", "--format", "{{json .Spec.Labels}}", name, check=False)
            if r.returncode == 0 and "org.cirr.throwaway" in r.stdout:
                docker("secret", "rm", name, check=False)
        for volume in docker("volume", "ls", "-q").stdout.split():
            if volume.startswith(tuple(f"{s}_" for s in stacks)):
                docker("volume", "rm", "-f", volume, check=False)
        for stack in stacks:  # the stack's own, and the named one cirr, opendose and siren make
            docker("network", "rm", f"{stack}_default", f"{stack}_service_network", check=False)
        if self.made_network:
            docker("network", "rm", "admin_proxy_network", check=False)
        if self.made_swarm:
            docker("swarm", "leave", "--force", check=False)
            docker("network", "rm", "docker_gwbridge", check=False)
        elif self.added_labels:
            node = docker("info", "--format", "{{.Swarm.NodeID}}", check=False).stdout.strip()
            args = [a for label in self.added_labels for a in ("--label-rm", label)]
            docker("node", "update", *args, node, check=False)
        self.deployed, self.added_labels = [], []

    def state(self):
        """What teardown needs, to keep between `make demo` and `make demo-down`."""
        return {"made_swarm": self.made_swarm, "made_network": self.made_network, "deployed": self.deployed,
                "added_labels": self.added_labels, "secrets": sorted(self.secrets)}

    def restore(self, state):
        self.made_swarm = state.get("made_swarm", False)
        self.made_network = state.get("made_network", False)
        self.deployed = list(state.get("deployed", []))
        self.added_labels = list(state.get("added_labels", []))
        self.secrets = {name: "" for name in state.get("secrets", [])}


def studies_by_route(events):
    """{route: {StudyInstanceUID: events}} of the watchers' HEC events (their
    source is cirr-watcher:ROUTE)."""
    out = {}
    for e in events:
        route = str(e.get("source", "")).removeprefix("cirr-watcher:")
        uid = (e.get("event") or {}).get("StudyInstanceUID")
        if uid:
            out.setdefault(route, {}).setdefault(uid, 0)
            out[route][uid] += 1
    return out
