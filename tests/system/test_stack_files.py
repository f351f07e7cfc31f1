"""The RIH stack files: valid for `docker stack config` with the example
environment, and every Traefik label is one Traefik v3 knows."""
import os
import re
import subprocess

import pytest
import yaml

from tests.support.paths import REFERENCE, STACKS
from tests.support.stacks import FILES, example_env

LABELS = os.path.join(REFERENCE, "traefik-v3-docker-labels.yml")
PROVIDER_LABELS = {"traefik.enable", "traefik.swarm.network", "traefik.swarm.lbswarm"}


@pytest.mark.parametrize("name", FILES)
def test_stack_config_validates_with_the_example_environment(name):
    r = subprocess.run(["docker", "stack", "config", "-c", os.path.join(STACKS, name)], env=example_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("stack,override", [("rih/cirr-stack.yml", "test/override.yml"),
                                            ("rih/mock-stack.yml", "test/mock-override.yml"),
                                            ("rih/projects-stack.yml", "test/projects-override.yml")])
def test_test_overrides_merge(stack, override):
    r = subprocess.run(["docker", "stack", "config", "-c", os.path.join(STACKS, stack), "-c",
                        os.path.join(STACKS, override)], env=example_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    merged = yaml.safe_load(r.stdout)
    for name, svc in merged["services"].items():
        assert svc["deploy"]["endpoint_mode"] == "dnsrr", name
        for port in svc.get("ports", []):
            assert port["mode"] == "host", (name, port)


def test_required_variables_say_what_to_set():
    env = example_env()
    del env["MOD_WORKSTATION"]
    r = subprocess.run(["docker", "stack", "config", "-c", os.path.join(STACKS, "rih/cirr-stack.yml")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "set MOD_WORKSTATION=AET,host,port" in r.stderr


def shape(label):
    """traefik.http.routers.NAME.rule -> traefik.http.routers.*.rule"""
    return re.sub(r"^(traefik\.(?:http|tcp|udp)\.(?:routers|services|middlewares|serverstransports))\.[^.]+\.",
                  r"\1.*.", label)


def test_every_traefik_label_is_known():
    assert os.path.exists(LABELS), f"{LABELS} missing: the tests expect shared/ beside the repository"
    known = {shape(l.split("=", 1)[0]) for l in yaml.safe_load(open(LABELS))} | PROVIDER_LABELS
    seen = 0
    for name in FILES:
        stack = yaml.safe_load(open(os.path.join(STACKS, name)))
        for svc_name, svc in stack["services"].items():
            labels = svc.get("deploy", {}).get("labels", {})
            assert "traefik.docker.network" not in labels  # the v2 spelling
            for label in labels:
                if label.startswith("traefik."):
                    seen += 1
                    assert shape(label) in known, f"{name}: {svc_name}: unknown Traefik label {label}"
            if labels.get("traefik.enable") == "true":
                assert labels["traefik.swarm.network"] == "admin_proxy_network"
                assert any(l.endswith(".loadbalancer.server.port") for l in labels), svc_name
    assert seen > 30


def test_every_service_has_health_restart_update_grace_and_limits():
    for name in FILES:
        stack = yaml.safe_load(open(os.path.join(STACKS, name)))
        for svc_name, svc in stack["services"].items():
            where = f"{name}: {svc_name}"
            if svc["image"].startswith("cirr/"):
                assert svc["healthcheck"]["test"] == ["CMD", "/sbin/cirr-init", "health"], where
            assert "stop_grace_period" in svc, where
            deploy = svc["deploy"]
            assert "restart_policy" in deploy, where
            assert "limits" in deploy["resources"], where
            if deploy.get("mode") != "global":
                assert "update_config" in deploy, where


def test_secrets_come_from_docker_secrets_through_file_variables():
    """cirr's own images read passwords and tokens from Docker secrets (the
    admin stack's third-party images take theirs as variables)."""
    checked = 0
    for name in FILES:
        stack = yaml.safe_load(open(os.path.join(STACKS, name)))
        for svc_name, svc in stack["services"].items():
            if not svc["image"].startswith("cirr/"):
                continue
            for k, v in svc.get("environment", {}).items():
                if "PASSWORD" in k or "TOKEN" in k:
                    assert k.endswith("_FILE") and v.startswith("/run/secrets/"), f"{name}: {svc_name}: {k}"
                    assert v.removeprefix("/run/secrets/") in svc.get("secrets", []), f"{name}: {svc_name}: {k}"
                    checked += 1
    assert checked >= 8


def merged(*names):
    r = subprocess.run(["docker", "stack", "config", *[a for n in names for a in ("-c", os.path.join(STACKS, n))]],
                       env=example_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return yaml.safe_load(r.stdout)["services"]


def test_the_watchers_reach_hec_as_configured():
    """Both watchers send to the HEC the example names, and the image's
    start-up probe of HEC speaks the scheme of that URL."""
    for stack, service in (("rih/cirr-stack.yml", "watcher"), ("rih/projects-stack.yml", "pacs-watcher")):
        env = merged(stack)[service]["environment"]
        assert env["WATCH_HEC_URL"] == "http://splunk:8088", stack
        assert env["WATCH_HEC_URL"].startswith(env["WATCH_HEC_PROBE_KIND"] + "://"), stack
        assert env["WATCH_HEC_TOKEN_FILE"] == "/run/secrets/splunk_hec_token", stack


def test_the_bridge_admits_the_pacs_watcher():
    """The PACS watcher queries the PACS through the bridge, as WATCH_AET: the
    bridge must admit that AE title, and the watcher must call the bridge."""
    bridge = merged("rih/cirr-stack.yml")["bridge"]["environment"]
    watcher = merged("rih/projects-stack.yml")["pacs-watcher"]["environment"]
    allowed = bridge["BRIDGE_ALLOW"].split(",")
    assert "*" in allowed or watcher["WATCH_AET"] in allowed
    aet, host, port = watcher["WATCH_PACS"].split(",")
    assert (aet, host, port) == (bridge["BRIDGE_AET"], "cirr_bridge", "6262")


def test_services_that_keep_data_stay_on_their_node():
    """A named volume or a host folder lives on one node: a service writing
    to one must be pinned there, or a rescheduled task starts without what
    it had accepted (the mux's spool, PostgreSQL's data)."""
    pinned = 0
    for name in FILES:
        stack = yaml.safe_load(open(os.path.join(STACKS, name)))
        for svc_name, svc in stack["services"].items():
            deploy = svc.get("deploy", {})
            writable = [v for v in svc.get("volumes", []) if not str(v).endswith(":ro")
                        and not str(v).startswith("/var/run/docker.sock")]
            if not writable or deploy.get("mode") == "global":
                continue
            constraints = deploy.get("placement", {}).get("constraints", [])
            assert any(c.startswith("node.labels.") or c == "node.role == manager" for c in constraints), \
                f"{name}: {svc_name} keeps data in {writable} but may move to any node"
            pinned += 1
    assert pinned >= 5
