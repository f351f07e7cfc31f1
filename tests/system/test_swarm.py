"""The cirr, mock and projects stacks on a single-node swarm, with the test
overrides for kernels without IPVS (issue 6), and their watchers feeding a
HEC double on the host (issue 13). Everything made here is removed at the
end, also when a check fails."""
import datetime
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zoneinfo

import pytest

from ci.swarm import RELEASE, Cluster, docker, single_node_env, studies_by_route
from tests.support.hec_double import HecDouble, Token, read_record, serve
from tests.support.paths import REPO
from tests.support.ports import free_port, wait_port

CIRR = ["rih/cirr-stack.yml", "test/override.yml"]
MOCK = ["rih/mock-stack.yml", "test/mock-override.yml"]
PROJECTS = ["rih/projects-stack.yml", "test/projects-override.yml"]
LOOKBACK_DAYS = 60  # mockpacs' 200 studies span a year: some 30 in the PACS watcher's first sweep
ENV = single_node_env(studies=200, push_limit=24, ct_slices=4, mr_slices=3, min_free_mb=100, stable_age=5,
                      pacs_interval=10, pacs_lookback_days=LOOKBACK_DAYS)


@pytest.fixture(scope="module")
def cluster():
    data = tempfile.mkdtemp(prefix="cirr-system-")
    c = Cluster(data, ENV, log=lambda m: print(m, flush=True))
    try:
        c.setup()
        yield c
    finally:
        c.teardown()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def hec(cluster):
    """A HEC double (no Splunk image here) on the host, where the swarm's
    containers reach it: the watchers' SPLUNK_HEC_ADDRESS."""
    double = HecDouble({cluster.secrets["splunk_hec_token"]: Token(indexes={"dicom", "pacs"})})
    server = serve(double, "0.0.0.0", 0)
    cluster.env["SPLUNK_HEC_ADDRESS"] = f"{cluster.host_address()}:{server.server_address[1]}"
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        double.close()


def indexed(hec, route):
    """{StudyInstanceUID: events} the double holds from route."""
    with hec.lock:
        events = list(hec.events)
    return studies_by_route(events).get(route, {})


def wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except RuntimeError:
            pass  # a task restarting
        time.sleep(2)
    raise AssertionError(f"timed out: {what}")


def pushed_instances(c):
    """Instances of the studies mockpacs reports as completely sent."""
    r = docker("logs", c.container("mock_mockpacs"), check=False)
    logs = r.stdout + r.stderr
    return sum(int(n) for n in re.findall(r"\((?:CT|MR|CR), (\d+) instances\) sent to MUX", logs))


def post(port, token, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/services/collector/event", data=body.encode(),
                                 headers={"Authorization": f"Splunk {token}"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_the_demos_hec_double_records_what_it_accepts(tmp_path):
    """`make demo`'s stand-in for Splunk: python3 -m tests.support.hec_double
    accepts the token of its file only, appends each accepted event to the
    record, and stops on SIGTERM; a missing token file stops it at start."""
    token, record, port = tmp_path / "token", tmp_path / "events.jsonl", free_port()
    token.write_text("demo-token\n")
    cmd = [sys.executable, "-m", "tests.support.hec_double", "--port", str(port), "--token-file", str(token),
           "--record", str(record)]
    p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_port(port)
        assert post(port, "demo-token", '{"event":{"StudyInstanceUID":"1.2"},"index":"dicom"} {"event":{"a":1}}') \
            == (200, {"text": "Success", "code": 0})
        assert post(port, "other", '{"event":{"a":2}}') == (403, {"text": "Invalid token", "code": 4})
    finally:
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=10)[0]
    assert p.returncode == 0 and "TEST DOUBLE" in out, out
    assert [e["event"] for e in read_record(record)] == [{"StudyInstanceUID": "1.2"}, {"a": 1}]
    r = subprocess.run([*cmd[:-4], str(tmp_path / "missing"), "--record", str(record)], cwd=REPO,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "--token-file" in r.stderr


def test_a_release_that_does_not_verify_is_not_deployed(tmp_path):
    release = tmp_path / "release"
    shutil.copytree(RELEASE, release)
    stack = release / "stacks" / "rih" / "cirr-stack.yml"
    stack.write_text(stack.read_text().replace("cirr/mux:", "evil/mux:", 1))
    c = Cluster(str(tmp_path / "data"), ENV, log=print, release=str(release))
    with pytest.raises(RuntimeError) as refused:
        c.setup()
    assert "stacks/rih/cirr-stack.yml" in str(refused.value) and "changed" in str(refused.value)
    assert c.deployed == [] and not c.made_swarm and not c.secrets


def test_a_swarm_that_runs_cirr_is_left_alone(tmp_path):
    """make demo and this test deploy and remove stacks and secrets with the
    production names: where a real one exists they refuse, touching nothing."""
    made_swarm = docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() != "active"
    if made_swarm:
        docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        node = docker("info", "--format", "{{.Swarm.NodeID}}").stdout.strip()
        labels_before = docker("node", "inspect", "--format", "{{json .Spec.Labels}}", node).stdout
        docker("secret", "rm", "postgres_password", check=False)
        r = subprocess.run(["docker", "secret", "create", "postgres_password", "-"], input="the-real-one",
                           text=True, capture_output=True)
        assert r.returncode == 0, r.stderr
        real_id = docker("secret", "inspect", "--format", "{{.ID}}", "postgres_password").stdout.strip()
        c = Cluster(str(tmp_path), ENV, log=lambda m: None)
        with pytest.raises(RuntimeError, match="already has secret postgres_password"):
            c.setup()
        c.teardown()  # what a failed run's clean-up does: nothing was made, nothing goes
        assert docker("secret", "inspect", "--format", "{{.ID}}", "postgres_password").stdout.strip() == real_id
        assert docker("secret", "inspect", "orthanc_password", check=False).returncode != 0
        assert docker("node", "inspect", "--format", "{{json .Spec.Labels}}", node).stdout == labels_before
        assert docker("info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() == "active"
    finally:
        docker("secret", "rm", "postgres_password", check=False)
        if made_swarm:
            docker("swarm", "leave", "--force", check=False)
            docker("network", "rm", "docker_gwbridge", check=False)


def test_stacks_deploy_push_restart_index_and_redeploy(cluster, hec):
    c = cluster
    c.deploy("cirr", CIRR)
    c.wait_healthy("cirr")
    c.deploy("mock", MOCK)
    c.wait_healthy("mock")
    c.deploy("projects", PROJECTS)  # its PACS watcher sweeps mockpacs through the bridge meanwhile
    # mockpacs pushes studies through the mux; in the middle, the mux task restarts
    wait(lambda: c.mock_status()["studies_pushed"] >= 8, 300, "8 studies pushed")
    docker("service", "update", "--force", "--detach", "cirr_mux")
    wait(lambda: c.mock_status()["studies_pushed"] >= 24, 600, "24 studies pushed")
    c.wait_healthy("cirr")
    total = pushed_instances(c)
    assert total > 0
    # every instance mux acknowledged reaches both the archive and the workstation
    wait(lambda: len(c.archive_uids()) >= total and c.archive_uids() == c.workstation_uids(), 300,
         "archive and workstation hold the same, complete set")
    # a study retrieved from the PACS (mockpacs) through the bridge lands in the archive
    study, job = c.retrieve_through_bridge("ARCHIVE")
    assert job["state"] == "done" and job["failed"] == 0 and job["completed"] == job["total"] > 0, job
    wait(lambda: study in c.archive_studies(), 60, "the retrieved study in the archive")
    before = c.archive_uids()
    assert len(before) >= total + job["completed"]
    # the archive's watcher indexes every study of the archive, once stable, into the HEC double
    started = time.monotonic()
    studies = c.archive_studies()
    assert study in studies
    wait(lambda: set(indexed(hec, "index_studies")) >= studies, 60, "an event for every study of the archive")
    assert set(indexed(hec, "index_studies")) == studies
    assert {e["index"] for e in hec.events if e["source"] == "cirr-watcher:index_studies"} == {"dicom"}
    assert hec.rejected == []
    # the PACS watcher, through the bridge, indexes the PACS's studies of its look-back window, each once
    c.wait_healthy("projects")
    pacs = {a["StudyInstanceUID"]: a.get("StudyDate", "") for a in c.bridge_api("/api/find?level=STUDY")["answers"]}
    # The stacks' own day (TZ, America/New_York): mockpacs dates its studies
    # and the watcher sweeps up to now in it. A UTC "today" is a day ahead
    # there in the evening (from 19:00 in winter), and would expect studies
    # of the stacks' today that have not happened yet.
    today = datetime.datetime.now(zoneinfo.ZoneInfo(ENV["TZ"])).date()
    first, last = (today - datetime.timedelta(days=LOOKBACK_DAYS - 1)).strftime("%Y%m%d"), \
        (today - datetime.timedelta(days=1)).strftime("%Y%m%d")
    inside = {uid for uid, date in pacs.items() if first <= date <= last}  # a day's margin for time zones
    assert inside
    wait(lambda: set(indexed(hec, "index_pacs")) >= inside, 60, f"the PACS's {len(inside)} studies of the window")
    found = indexed(hec, "index_pacs")
    assert set(found) <= set(pacs), set(found) - set(pacs)
    assert set(found.values()) == {1}, "a study indexed twice by the PACS watcher"
    assert {e["index"] for e in hec.events if e["source"] == "cirr-watcher:index_pacs"} == {"pacs"}
    c.log(f"HEC double: {len(studies)} studies of the archive, {len(found)} of the PACS ({len(inside)} well "
          f"inside the window), {time.monotonic() - started:.0f} s after the retrieve")
    # removing and redeploying the cirr stack keeps the archive (PostgreSQL data)
    c.remove_stack("cirr")
    c.deploy("cirr", CIRR)
    c.wait_healthy("cirr")
    assert c.archive_uids() == before
