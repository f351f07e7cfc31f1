#!/usr/bin/env python3
"""make demo / make demo-down: the RIH CIRR on a single-node swarm
(STACK=opendose or STACK=siren: that cluster, ci/demo_opendose.py and
ci/demo_siren.py). Run from the repository root as
`python3 -m ci.demo [--stack rih|opendose|siren]` or `python3 -m ci.demo down`.

demo: swarm (initialised if needed), node labels, demo secrets, the cirr,
mock and projects stacks (the admin stack too when its images are present
locally), visible progress until every service is healthy, mockpacs
pushing a few studies through the mux, then a summary. No Splunk image is
obtainable here: the watchers send to a test double of Splunk's HTTP Event
Collector (tests/support/hec_double.py), run on the host as a background
process. demo-down removes what demo recorded in build/demo-state.json,
and only that, and stops the double. Both refuse to touch a swarm that
already runs stacks or secrets with cirr's names."""
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid

from ci import demo_opendose, demo_siren
from ci.swarm import REPO, Cluster, docker, single_node_env, studies_by_route
from tests.support.hec_double import read_record
from tests.support.ports import free_port

STATE = os.path.join(REPO, "build", "demo-state.json")
DATA = os.path.join(REPO, "build", "demo-data")
ADMIN_IMAGES = ["traefik:v3.1.6", "portainer/portainer-ce:2.21.4", "portainer/agent:2.21.4", "splunk/splunk:9.3.2"]
LOOKBACK_DAYS = 7
ENV = dict(single_node_env(studies=10000, push_limit=6, ct_slices=20, mr_slices=10, min_free_mb=200,
                           pacs_lookback_days=LOOKBACK_DAYS),
           SPLUNK_PASSWORD="demo-password", SPLUNK_HEC_TOKEN=str(uuid.uuid4()),
           PORTAINER_PASSWORD="$2y$05$demo.hash.not.for.production.use.only")
HEC_RECORD = os.path.join(DATA, "hec-events.jsonl")
HEC_DOUBLE = "tests.support.hec_double"
HEC_DOUBLE_TLS = "ci.demo_hec"  # the same double over HTTPS (SIREN)
double = {}  # the HEC double's pid and port, kept in the state file
# The other clusters' demo sizes: a few studies, small series.
CLUSTER_ENV = {
    "opendose": lambda: demo_opendose.env(push_limit=8, ct_slices=10),
    "siren": lambda: demo_siren.env(push_limit=10, ct_slices=16, mr_slices=8, stable_age=10),
}


def say(msg):
    print(f"demo: {msg}", flush=True)


def ipvs():
    return os.path.exists("/proc/net/ip_vs")


def save(c):
    with open(STATE + ".tmp", "w") as f:
        json.dump(dict(c.state(), hec_double=double), f)
    os.replace(STATE + ".tmp", STATE)


def start_hec_double(c, tls=None, name=None):
    """The HEC test double on the host, on every address, with the demo's
    token; the watchers reach it at the docker_gwbridge gateway
    (SPLUNK_HEC_HOST_IP), by that address or by name (an extra_hosts entry
    of theirs). tls: the (cert, key) it serves HTTPS with (ci/demo_hec.py)."""
    token = os.path.join(DATA, "splunk_hec_token")
    fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, c.secrets["splunk_hec_token"].encode())
    os.close(fd)
    port = free_port()
    log = open(os.path.join(DATA, "hec-double.log"), "ab")
    module, extra = (HEC_DOUBLE_TLS, ["--tls-cert", tls[0], "--tls-key", tls[1]]) if tls else (HEC_DOUBLE, [])
    p = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), "--token-file", token,
                          "--record", HEC_RECORD, *extra], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    double.update(pid=p.pid, port=port, module=module)
    save(c)
    probe = ssl._create_unverified_context() if tls else None  # only: is it up (the watchers verify)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{'https' if tls else 'http'}://127.0.0.1:{port}/services/collector/health",
                                   timeout=2, context=probe).close()
            break
        except OSError:
            if p.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the HEC double did not start (see {log.name})")
            time.sleep(0.2)
    c.env["SPLUNK_HEC_HOST_IP"] = c.host_address()
    c.env["SPLUNK_HEC_ADDRESS"] = f"{name or c.env['SPLUNK_HEC_HOST_IP']}:{port}"
    double["where"] = (f"on the host at {c.env['SPLUNK_HEC_HOST_IP']}:{port}" +
                       (f", over HTTPS as {name}" if tls else ""))
    say(f"Splunk: the watchers send to a TEST DOUBLE of Splunk's HTTP Event Collector (not Splunk: its image "
        f"is not obtainable here), {double['where']} (pid {p.pid}), recording what it accepts in {HEC_RECORD}")


def stop_hec_double(state):
    """Stops the double demo started, if that pid is still it."""
    pid = (state.get("hec_double") or {}).get("pid")
    if not pid:
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if state["hec_double"].get("module", HEC_DOUBLE).encode() not in f.read():
                return  # the pid is someone else's now
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ProcessLookupError):
        return
    for _ in range(50):
        if not os.path.exists(f"/proc/{pid}"):
            return
        try:
            os.waitpid(pid, os.WNOHANG)  # our child when demo and demo-down are one process
        except ChildProcessError:
            pass
        time.sleep(0.1)


def up(stack="rih"):
    if os.path.exists(STATE):
        say("removing the previous demo first (build/demo-state.json)")
        down()
    os.makedirs(DATA, exist_ok=True)
    c = Cluster(DATA, ENV if stack == "rih" else CLUSTER_ENV[stack](), log=say)
    c.on_change = lambda: save(c)
    try:
        c.setup()
    except RuntimeError as e:
        save(c)  # whatever setup made before it stopped
        sys.exit(f"demo: {e}")
    save(c)
    try:
        if stack == "rih":
            start_hec_double(c)
            deploy_all(c)
        else:
            deploy_cluster(c, stack)
    except RuntimeError as e:
        sys.exit(f"demo: {e}\ndemo: make demo-down removes what it made")
    finally:
        save(c)  # what demo-down removes, also after a failure here


def missing_admin_images():
    return [i for i in ADMIN_IMAGES if docker("image", "inspect", i, check=False).returncode != 0]


def deploy_cluster(c, stack):
    """OpenDose or SIREN: their stacks with the test overrides, the mock
    site pushing, the summary of what arrived where."""
    if stack == "siren":
        start_hec_double(c, tls=demo_siren.make_secrets(c, DATA), name=demo_siren.HEC_NAME)
    else:
        start_hec_double(c)
    save(c)
    missing = missing_admin_images()
    why = (f"its images are not present locally ({', '.join(missing)}); no registry is reachable from here"
           if missing else "this demo deploys none for this cluster")
    say(f"admin stack skipped (Traefik, Portainer, Splunk): {why}")
    notes = [f"Splunk HEC: a TEST DOUBLE standing in for Splunk (tests/support/hec_double.py, {double['where']});",
             f"            no Splunk image here; what it accepted, one JSON event a line: {HEC_RECORD}",
             f"admin stack skipped (Traefik, Portainer, Splunk): {why.split(';')[0]}"]
    events = lambda: read_record(HEC_RECORD)  # noqa: E731
    if stack == "opendose":
        demo_opendose.deploy(c, say)
        f = demo_opendose.wait_arrived(c, events, int(c.env["MOCK_PUSH_LIMIT"]), say)
        demo_opendose.summary(c, f, notes)
    else:
        demo_siren.deploy(c, say)
        f = demo_siren.wait_arrived(c, events, int(c.env["MOCK_PUSH_LIMIT"]), os.path.join(DATA, "originals"), say)
        demo_siren.summary(c, f, notes)


def deploy_all(c):
    override = [] if ipvs() else ["test/override.yml"]
    mock_override = [] if ipvs() else ["test/mock-override.yml"]
    projects_override = [] if ipvs() else ["test/projects-override.yml"]
    if not ipvs():
        say("this kernel has no IPVS: deploying with stacks/test overrides (dnsrr, host-mode ports)")
    missing = missing_admin_images()
    if missing:
        say(f"admin stack skipped: its images are not present locally ({', '.join(missing)}); "
            "no registry is reachable from here")
    else:
        c.deploy("admin", ["rih/admin-stack.yml"])
    say("deploying the cirr stack (postgres, archive, mux, bridge, the archive's watcher)")
    c.deploy("cirr", ["rih/cirr-stack.yml", *override])
    c.wait_healthy("cirr")
    say("deploying the mock stack (mockpacs pushing studies, a stand-in workstation)")
    c.deploy("mock", ["rih/mock-stack.yml", *mock_override])
    c.wait_healthy("mock")
    say("deploying the projects stack (project1, the PACS watcher sweeping mockpacs through the bridge)")
    c.deploy("projects", ["rih/projects-stack.yml", *projects_override])
    c.wait_healthy("projects")
    target = int(ENV["MOCK_PUSH_LIMIT"])
    deadline = time.monotonic() + 600
    last = -1
    while time.monotonic() < deadline:
        n = c.mock_status()["studies_pushed"]
        if n != last:
            say(f"mockpacs has pushed {n} of {target} studies through the mux")
            last = n
        if n >= target:
            break
        time.sleep(2)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        a, w = c.archive_uids(), c.workstation_uids()
        if a and a == w:
            break
        time.sleep(2)
    say("retrieving one study of the mock PACS through the bridge into the archive (its JSON API, as its query page does)")
    study, job = c.retrieve_through_bridge("ARCHIVE")
    say(f"bridge: {study}: {job['state']}, {job['completed']} of {job['total']} instances, {job['failed']} failed")
    routes = wait_indexed(c)
    summary(c, a, w, job, routes)


def wait_indexed(c, timeout=180):
    """Waits until the archive's watcher has sent an event for every study
    of the archive (each is stable ORTHANC_STABLE_AGE seconds after its last
    instance) and the PACS watcher has sent its first sweep's; what arrived,
    by route."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        routes = studies_by_route(read_record(HEC_RECORD))
        archive = c.archive_studies()
        done = set(routes.get("index_studies", {})) >= archive and routes.get("index_pacs")
        line = (f"the HEC double has {len(routes.get('index_studies', {}))} of the archive's {len(archive)} "
                f"studies, and {len(routes.get('index_pacs', {}))} studies of the PACS")
        if line != last:
            say(line)
            last = line
        if done or time.monotonic() > deadline:
            return routes
        time.sleep(2)


def summary(c, archive, workstation, job, routes):
    print()
    print("cirr demo: summary")
    print()
    print("| service | health |")
    print("|---|---|")
    for stack in ("admin", "cirr", "projects", "mock"):
        for s in c.services(stack):
            print(f"| {s} | {c.health(s)} |")
    print()
    print(f"instances pushed through the mux, in the archive: {len(archive)}")
    print(f"instances at the workstation:                     {len(workstation)} "
          f"({'the same set' if archive == workstation else 'still arriving'})")
    print(f"study retrieved through the bridge:               {job['study']}, {job['completed']} instances "
          f"into the archive ({job['state']})")
    print()
    print(f"Splunk HEC: a TEST DOUBLE standing in for Splunk (tests/support/hec_double.py, on the host at "
          f"{c.env['SPLUNK_HEC_ADDRESS']});")
    print(f"            what it accepted, one JSON event a line: {HEC_RECORD}")
    studies, pacs = routes.get("index_studies", {}), routes.get("index_pacs", {})
    print(f"cirr_watcher (index_studies, the archive's stable studies): {sum(studies.values())} study events, "
          f"{len(studies)} studies ({len(set(studies) & c.archive_studies())} of the archive's "
          f"{len(c.archive_studies())})")
    print(f"projects_pacs-watcher (index_pacs, mockpacs through the bridge): {sum(pacs.values())} study events, "
          f"{len(pacs)} studies (the PACS's last {LOOKBACK_DAYS} days; a sweep every "
          f"{ENV['WATCH_PACS_INTERVAL_S']} s)")
    print()
    print("DICOM:  mux 5252 (AE CIRRMUX), archive 4242 (ARCHIVE), bridge 6262 (BRIDGE), mockpacs 7272 (MOCK)")
    print("web:    behind Traefik (admin stack) at /archive, /bridge, /mux, /mock, /project1; the admin stack is not")
    print("        deployed here, so reach them from a container on admin_proxy_network, e.g.")
    print("        docker run --rm --network admin_proxy_network cirr/mockpacs:0.1.0 wget -qO- http://mock_mockpacs:8080/status")
    print("        (the bridge's query page: http://cirr_bridge:8082/ from there)")
    secret = os.path.join(DATA, "orthanc_password")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, c.secrets["orthanc_password"].encode())
    os.close(fd)
    print(f"login:  user admin; the password is the orthanc_password secret, kept for you in {secret}")
    print()
    print("tear it all down: make demo-down")


def down():
    """Removes what `make demo` recorded in build/demo-state.json, nothing else."""
    if not os.path.exists(STATE):
        say("nothing to remove: build/demo-state.json is missing (make demo records there what it makes)")
        return
    c = Cluster(DATA, ENV, log=say)
    state = json.load(open(STATE))
    c.restore(state)
    stop_hec_double(state)
    stacks = ", ".join(c.deployed) or "no stacks"
    c.teardown()
    os.remove(STATE)
    shutil.rmtree(DATA, ignore_errors=True)
    say(f"removed the demo's {stacks}, its secrets, volumes, networks, data and HEC double" +
        (" and left the swarm" if c.made_swarm else ""))


def main(argv):
    if argv == ["down"]:
        return down()
    if argv and (len(argv) != 2 or argv[0] != "--stack" or argv[1] not in ("rih", *CLUSTER_ENV)):
        sys.exit("usage: python3 -m ci.demo [--stack rih|opendose|siren] | python3 -m ci.demo down")
    up(argv[1] if argv else "rih")


if __name__ == "__main__":
    main(sys.argv[1:])
