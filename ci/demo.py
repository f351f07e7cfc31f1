#!/usr/bin/env python3
"""make demo / make demo-down: the RIH CIRR on a single-node swarm.
Run from the repository root as `python3 -m ci.demo [down]`.

demo: swarm (initialised if needed), node labels, demo secrets, the cirr
and mock stacks (the admin stack too when its images are present locally),
visible progress until every service is healthy, mockpacs pushing a few
studies through the mux, then a summary. demo-down removes what demo
recorded in build/demo-state.json, and only that. Both refuse to touch a
swarm that already runs stacks or secrets with cirr's names."""
import json
import os
import shutil
import sys
import time

from ci.swarm import REPO, Cluster, docker, single_node_env

STATE = os.path.join(REPO, "build", "demo-state.json")
DATA = os.path.join(REPO, "build", "demo-data")
ADMIN_IMAGES = ["traefik:v3.1.6", "portainer/portainer-ce:2.21.4", "portainer/agent:2.21.4", "splunk/splunk:9.3.2"]
ENV = dict(single_node_env(studies=10000, push_limit=6, ct_slices=20, mr_slices=10, min_free_mb=200),
           SPLUNK_PASSWORD="demo-password", SPLUNK_HEC_TOKEN="00000000-0000-0000-0000-000000000000",
           PORTAINER_PASSWORD="$2y$05$demo.hash.not.for.production.use.only")


def say(msg):
    print(f"demo: {msg}", flush=True)


def ipvs():
    return os.path.exists("/proc/net/ip_vs")


def save(c):
    with open(STATE + ".tmp", "w") as f:
        json.dump(c.state(), f)
    os.replace(STATE + ".tmp", STATE)


def up():
    if os.path.exists(STATE):
        say("removing the previous demo first (build/demo-state.json)")
        down()
    os.makedirs(DATA, exist_ok=True)
    c = Cluster(DATA, ENV, log=say)
    try:
        c.setup()
    except RuntimeError as e:
        save(c)  # whatever setup made before it stopped
        sys.exit(f"demo: {e}")
    save(c)
    try:
        deploy_all(c)
    finally:
        save(c)  # what demo-down removes, also after a failure here


def deploy_all(c):
    override = [] if ipvs() else ["test/override.yml"]
    mock_override = [] if ipvs() else ["test/mock-override.yml"]
    if not ipvs():
        say("this kernel has no IPVS: deploying with stacks/test overrides (dnsrr, host-mode ports)")
    missing = [i for i in ADMIN_IMAGES if docker("image", "inspect", i, check=False).returncode != 0]
    if missing:
        say(f"admin stack skipped: its images are not present locally ({', '.join(missing)}); "
            "no registry is reachable from here")
    else:
        c.deploy("admin", ["rih/admin-stack.yml"])
    say("deploying the cirr stack (postgres, archive, mux, bridge)")
    c.deploy("cirr", ["rih/cirr-stack.yml", *override])
    c.wait_healthy("cirr")
    say("deploying the mock stack (mockpacs pushing studies, a stand-in workstation)")
    c.deploy("mock", ["rih/mock-stack.yml", *mock_override])
    c.wait_healthy("mock")
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
    summary(c, a, w, job)


def summary(c, archive, workstation, job):
    print()
    print("cirr demo: summary")
    print()
    print("| service | health |")
    print("|---|---|")
    for stack in ("admin", "cirr", "mock"):
        for s in c.services(stack):
            print(f"| {s} | {c.health(s)} |")
    print()
    print(f"instances pushed through the mux, in the archive: {len(archive)}")
    print(f"instances at the workstation:                     {len(workstation)} "
          f"({'the same set' if archive == workstation else 'still arriving'})")
    print(f"study retrieved through the bridge:               {job['study']}, {job['completed']} instances "
          f"into the archive ({job['state']})")
    print()
    print("DICOM:  mux 5252 (AE CIRRMUX), archive 4242 (ARCHIVE), bridge 6262 (BRIDGE), mockpacs 7272 (MOCK)")
    print("web:    behind Traefik (admin stack) at /archive, /bridge, /mux, /mock; the admin stack is not")
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
    c.restore(json.load(open(STATE)))
    stacks = ", ".join(c.deployed) or "no stacks"
    c.teardown()
    os.remove(STATE)
    shutil.rmtree(DATA, ignore_errors=True)
    say(f"removed the demo's {stacks}, its secrets, volumes, networks and data" +
        (" and left the swarm" if c.made_swarm else ""))


if __name__ == "__main__":
    down() if sys.argv[1:] == ["down"] else up()
