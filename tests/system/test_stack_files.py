"""The stack files of the three clusters (RIH, OpenDose, SIREN): valid for
`docker stack config` with their cluster's example environment, every
Traefik label and flag one Traefik v3 knows, every service healthy,
restartable, updatable, limited and pinned where it keeps data, secrets
only through Docker secrets; and each cluster wired as its README says."""
import json
import os
import re
import subprocess

import jsonschema
import pytest
import yaml

from tests.support.paths import REFERENCE, REPO, STACKS

LABELS = os.path.join(REFERENCE, "traefik-v3-docker-labels.yml")
STATIC_SCHEMA = os.path.join(REFERENCE, "traefik-v3.json")
FILE_PROVIDER_SCHEMA = os.path.join(REFERENCE, "traefik-v3-file-provider.json")
PROVIDER_LABELS = {"traefik.enable", "traefik.swarm.network", "traefik.swarm.lbswarm"}

# cluster: its example environment, its stack files, and each test override with the file it overrides
CLUSTERS = {
    "rih": ("rih/cirr.env.example",
            ["rih/admin-stack.yml", "rih/cirr-stack.yml", "rih/projects-stack.yml", "rih/mock-stack.yml"],
            [("rih/cirr-stack.yml", "test/override.yml"), ("rih/mock-stack.yml", "test/mock-override.yml"),
             ("rih/projects-stack.yml", "test/projects-override.yml"),
             ("rih/cirr-stack.yml", "test/cluster-override.yml"), ("rih/mock-stack.yml", "test/mock-cluster-override.yml")]),
    "opendose": ("opendose/opendose.env.example",
                 ["rih/admin-stack.yml", "opendose/opendose-stack.yml", "test/mock-opendose-stack.yml"],
                 [("opendose/opendose-stack.yml", "test/opendose-override.yml")]),
    "siren": ("siren/siren.env.example",
              ["siren/admin-stack.yml", "siren/siren-stack.yml", "test/mock-siren-stack.yml"],
              [("siren/siren-stack.yml", "test/siren-override.yml")]),
}
FILES = sorted({f for _, files, _ in CLUSTERS.values() for f in files})
CLUSTER_FILES = [(c, f) for c, (_, files, _) in CLUSTERS.items() for f in files]
OVERRIDES = [(c, s, o) for c, (_, _, pairs) in CLUSTERS.items() for s, o in pairs]


def env_of(cluster):
    """The environment `set -a; . ./X.env.example` gives, over a bare PATH and HOME."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    for line in open(os.path.join(STACKS, CLUSTERS[cluster][0])):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v.strip("'\"")
    return env


def stack_config(cluster, *names, env=None):
    return subprocess.run(["docker", "stack", "config", *[a for n in names for a in ("-c", os.path.join(STACKS, n))]],
                          env=env or env_of(cluster), capture_output=True, text=True, timeout=60)


def merged(cluster, *names):
    r = stack_config(cluster, *names)
    assert r.returncode == 0, r.stderr
    return yaml.safe_load(r.stdout)["services"]


def services():
    for name in FILES:
        for svc_name, svc in yaml.safe_load(open(os.path.join(STACKS, name)))["services"].items():
            yield name, svc_name, svc


def secret_names(svc):
    return [s if isinstance(s, str) else s["source"] for s in svc.get("secrets", [])]


@pytest.mark.parametrize("cluster,name", CLUSTER_FILES)
def test_stack_config_validates_with_the_example_environment(cluster, name):
    r = stack_config(cluster, name)
    assert r.returncode == 0, r.stderr


def test_every_variable_a_stack_reads_is_in_its_clusters_example():
    """An env example documents every variable: one a stack reads and the
    example lacks would be found only at a site's first deploy. (RIH's
    example lacks the mock stack's MOCK_SITE, MOCK_CT_SLICES, MOCK_MR_SLICES.)"""
    extra = {"opendose": {"opendose/archive-override.yml"}, "siren": set()}
    for cluster in extra:
        example, files, pairs = CLUSTERS[cluster]
        documented = set(env_of(cluster))
        for name in set(files) | {o for _, o in pairs} | extra[cluster]:
            for var in re.findall(r"\$\{([A-Z0-9_]+)", open(os.path.join(STACKS, name)).read()):
                assert var in documented, f"{name} reads {var}, which {example} does not document"


@pytest.mark.parametrize("cluster,stack,override", OVERRIDES)
def test_test_overrides_merge(cluster, stack, override):
    for name, svc in merged(cluster, stack, override).items():
        assert svc["deploy"]["endpoint_mode"] == "dnsrr", name
        for port in svc.get("ports", []):
            assert port["mode"] == "host", (name, port)


def test_required_variables_say_what_to_set():
    env = env_of("rih")
    del env["MOD_WORKSTATION"]
    r = stack_config("rih", "rih/cirr-stack.yml", env=env)
    assert r.returncode != 0
    assert "set MOD_WORKSTATION=AET,host,port" in r.stderr
    env = env_of("opendose")
    del env["DOSE_ARCHIVE"]
    r = stack_config("opendose", "opendose/opendose-stack.yml", "opendose/archive-override.yml", env=env)
    assert r.returncode != 0
    assert "set DOSE_ARCHIVE=AET,host,port" in r.stderr


def shape(label):
    """traefik.http.routers.NAME.rule -> traefik.http.routers.*.rule"""
    return re.sub(r"^(traefik\.(?:http|tcp|udp)\.(?:routers|services|middlewares|serverstransports))\.[^.]+\.",
                  r"\1.*.", label)


def test_every_traefik_label_is_known():
    assert os.path.exists(LABELS), f"{LABELS} missing: the tests expect shared/ beside the repository"
    known = {shape(l.split("=", 1)[0]) for l in yaml.safe_load(open(LABELS))} | PROVIDER_LABELS
    seen = 0
    for name, svc_name, svc in services():
        labels = svc.get("deploy", {}).get("labels", {})
        assert "traefik.docker.network" not in labels  # the v2 spelling
        for label in labels:
            if label.startswith("traefik."):
                seen += 1
                assert shape(label) in known, f"{name}: {svc_name}: unknown Traefik label {label}"
        if labels.get("traefik.enable") == "true":
            assert labels["traefik.swarm.network"] == "admin_proxy_network"
            assert any(l.endswith(".loadbalancer.server.port") for l in labels), svc_name
    assert seen > 80


def schema_has(schema, node, path):
    """Whether the dotted static-configuration path (a Traefik flag, whose
    keys are case-insensitive) is one the JSON schema allows."""
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if not path:
        return True
    props = {k.lower(): v for k, v in node.get("properties", {}).items()}
    if path[0].lower() in props:
        return schema_has(schema, props[path[0].lower()], path[1:])
    extra = node.get("additionalProperties")
    return isinstance(extra, dict) and schema_has(schema, extra, path[1:])


@pytest.mark.parametrize("name", ["rih/admin-stack.yml", "siren/admin-stack.yml"])
def test_every_traefik_flag_is_in_the_static_schema(name):
    schema = json.load(open(STATIC_SCHEMA))
    flags = yaml.safe_load(open(os.path.join(STACKS, name)))["services"]["traefik"]["command"]
    for flag in flags:
        path = flag.removeprefix("--").split("=", 1)[0].split(".")
        assert schema_has(schema, schema, path), f"{name}: unknown Traefik flag {flag}"
    assert not schema_has(schema, schema, ["entryPoints", "web", "http", "redirektions"])  # the check can fail


def one_shot(svc):
    """A service that declares itself a one-shot (label cirr.one-shot):
    it runs once to its end, so no health check and no restart once done."""
    return svc.get("deploy", {}).get("labels", {}).get("cirr.one-shot") == "true"


def test_every_service_has_health_restart_update_grace_and_limits():
    one_shots = 0
    for name, svc_name, svc in services():
        where = f"{name}: {svc_name}"
        deploy = svc["deploy"]
        restart = deploy.get("restart_policy", {})
        if one_shot(svc):
            # no health to report once it has exited; restarted only when it failed, and not forever
            assert svc["healthcheck"] == {"disable": True}, where
            assert restart["condition"] == "on-failure" and restart["delay"] and restart["max_attempts"] > 0, where
            one_shots += 1
        else:
            assert restart.get("condition") != "on-failure" and not svc.get("healthcheck", {}).get("disable"), \
                f"{where}: only a service labelled cirr.one-shot may stop for good"
            if svc["image"].startswith("cirr/"):
                assert svc["healthcheck"]["test"] == ["CMD", "/sbin/cirr-init", "health"], where
        assert "stop_grace_period" in svc, where
        assert "restart_policy" in deploy, where
        assert "limits" in deploy["resources"], where
        if deploy.get("mode") != "global":
            assert "update_config" in deploy, where
    assert one_shots == 2  # the admin stacks' splunk-setup


def test_secrets_come_from_docker_secrets_through_file_variables():
    """cirr's own images read passwords, tokens and keys from Docker secrets
    (the admin stack's third-party images take theirs as variables), and
    every /run/secrets path a service names is a secret it is given."""
    checked = 0
    for name, svc_name, svc in services():
        if not svc["image"].startswith("cirr/"):
            continue
        for k, v in svc.get("environment", {}).items():
            if ("PASSWORD" in k or "TOKEN" in k) and not k.endswith("_NAME"):  # a token's name is no secret
                assert k.endswith("_FILE") and v.startswith("/run/secrets/"), f"{name}: {svc_name}: {k}"
                checked += 1
            if str(v).startswith("/run/secrets/"):
                assert v.removeprefix("/run/secrets/") in secret_names(svc), f"{name}: {svc_name}: {k}"
    assert checked >= 20


def test_the_anonymization_key_is_readable_by_the_mux_alone():
    """cirr-mux (user cirr, uid 1000) refuses a key file others may read."""
    mux = yaml.safe_load(open(os.path.join(STACKS, "siren/siren-stack.yml")))["services"]["mux"]
    key = [s for s in mux["secrets"] if isinstance(s, dict) and s["source"] == "siren_anon_key"]
    assert key and key[0]["uid"] == "1000" and key[0]["mode"] == 0o400


def test_services_that_keep_data_stay_on_their_node():
    """A named volume or a host folder lives on one node: a service writing
    to one must be pinned there, or a rescheduled task starts without what
    it had accepted (the mux's spool, PostgreSQL's data)."""
    pinned = 0
    for name, svc_name, svc in services():
        deploy = svc.get("deploy", {})
        writable = [v for v in svc.get("volumes", []) if not str(v).endswith(":ro")
                    and not str(v).startswith("/var/run/docker.sock")]
        if not writable or deploy.get("mode") == "global":
            continue
        constraints = deploy.get("placement", {}).get("constraints", [])
        assert any(c.startswith("node.labels.") or c == "node.role == manager" for c in constraints), \
            f"{name}: {svc_name} keeps data in {writable} but may move to any node"
        pinned += 1
    assert pinned >= 12


def test_the_watchers_reach_hec_as_configured():
    """Every watcher sends to the HEC its example names, and the image's
    start-up probe of HEC speaks the scheme of that URL."""
    expected = {"rih": "http://splunk:8088", "opendose": "http://splunk:8088", "siren": "https://splunk:8088"}
    seen = 0
    for cluster, (_, files, _) in CLUSTERS.items():
        for name in files:
            for svc_name, svc in merged(cluster, name).items():
                if not svc["image"].startswith("cirr/watcher") or one_shot(svc):
                    continue
                env = svc["environment"]
                assert env["WATCH_HEC_URL"] == expected[cluster], (name, svc_name)
                assert env["WATCH_HEC_URL"].startswith(env["WATCH_HEC_PROBE_KIND"] + "://"), (name, svc_name)
                assert env["WATCH_HEC_TOKEN_FILE"] == "/run/secrets/splunk_hec_token", (name, svc_name)
                seen += 1
    assert seen == 5


def test_the_bridge_admits_the_pacs_watcher():
    """The PACS watcher queries the PACS through the bridge, as WATCH_AET: the
    bridge must admit that AE title, and the watcher must call the bridge."""
    bridge = merged("rih", "rih/cirr-stack.yml")["bridge"]["environment"]
    watcher = merged("rih", "rih/projects-stack.yml")["pacs-watcher"]["environment"]
    allowed = bridge["BRIDGE_ALLOW"].split(",")
    assert "*" in allowed or watcher["WATCH_AET"] in allowed
    aet, host, port = watcher["WATCH_PACS"].split(",")
    assert (aet, host, port) == (bridge["BRIDGE_AET"], "cirr_bridge", "6262")


def test_opendose_routes_everything_to_the_dose_ring_buffer_and_indexes_every_instance():
    svc = merged("opendose", "opendose/opendose-stack.yml", "opendose/archive-override.yml")
    dose, mux, watcher = svc["dose"]["environment"], svc["mux"]["environment"], svc["watcher"]["environment"]
    assert int(dose["ORTHANC_MAX_PATIENTS"]) == 2000
    assert mux["MUX_DEST_DOSE"] == f"{dose['ORTHANC_AET']},dose,4242"
    assert mux["MUX_DEST_ARCHIVE"] == "ARCHIVE,archive.example.org,4242"  # only with the override
    assert "MUX_DEST_ARCHIVE" not in merged("opendose", "opendose/opendose-stack.yml")["mux"]["environment"]
    assert watcher["WATCH_ROUTES"] == "index_instances: orthanc:instances -> index:dose_reports"
    assert watcher["WATCH_ORTHANC_URL"] == "http://dose:8042"
    assert "dbname=dose_index" in watcher["WATCH_PG"]
    databases = svc["postgres"]["environment"]["POSTGRES_DATABASES"].split(",")
    assert dose["ORTHANC_PG_DATABASE"] in databases and "dose_index" in databases


def test_siren_sends_each_trial_anonymized_and_compressed_to_its_own_archive():
    svc = merged("siren", "siren/siren-stack.yml")
    mux = svc["mux"]["environment"]
    databases = svc["postgres"]["environment"]["POSTGRES_DATABASES"].split(",")
    paths = set()
    for trial in ("trial1", "trial2"):
        env, labels = svc[trial]["environment"], svc[trial]["deploy"]["labels"]
        dest = trial.upper()
        assert mux[f"MUX_DEST_{dest}"] == f"{env['ORTHANC_AET']},{trial},4242"
        assert mux[f"MUX_DEST_{dest}_ANONYMIZE"] == "/run/secrets/siren_anon_key"
        assert mux[f"MUX_DEST_{dest}_COMPRESS"] == "jpeg-ls"
        assert env["ORTHANC_PG_DATABASE"] == trial and trial in databases
        assert labels[f"traefik.http.routers.{trial}.rule"] == f"PathPrefix(`/{trial}`)"
        paths.add(labels[f"traefik.http.middlewares.{trial}-strip.stripprefix.prefixes"])
        watcher = svc[f"watcher-{trial}"]["environment"]
        assert watcher["WATCH_ORTHANC_URL"] == f"http://{trial}:8042"
        assert watcher["WATCH_ROUTES"] == "index_studies: orthanc:studies -> index:dicom"
        assert watcher["WATCH_HEC_CA"] == "/run/secrets/splunk_ca" and watcher["WATCH_HEC_INSECURE"] == "false"
    assert paths == {"/trial1", "/trial2"}


def test_siren_serves_https_only():
    """Every SIREN router is on websecure with TLS; plain HTTP is redirected;
    the certificate and key are Docker secrets named in Traefik's file
    provider configuration, which its schema accepts."""
    routers = 0
    for name in ("siren/admin-stack.yml", "siren/siren-stack.yml"):
        for svc_name, svc in merged("siren", name).items():
            labels = svc.get("deploy", {}).get("labels", {})
            for label, value in labels.items():
                if m := re.fullmatch(r"traefik\.http\.routers\.([^.]+)\.entrypoints", label):
                    assert value == "websecure", (name, svc_name)
                    assert labels[f"traefik.http.routers.{m[1]}.tls"] == "true", (name, svc_name)
                    routers += 1
    assert routers == 5  # portainer, splunk, the mux, two trials
    traefik = merged("siren", "siren/admin-stack.yml")["traefik"]
    assert "--entryPoints.web.http.redirections.entryPoint.to=websecure" in traefik["command"]
    assert "--entryPoints.web.http.redirections.entryPoint.scheme=https" in traefik["command"]
    tls = yaml.safe_load(open(os.path.join(STACKS, "siren/traefik-tls.yml")))
    jsonschema.validate(tls, json.load(open(FILE_PROVIDER_SCHEMA)))
    secrets = set(secret_names(traefik))
    for cert in tls["tls"]["certificates"]:
        assert {cert["certFile"], cert["keyFile"]} <= {f"/run/secrets/{s}" for s in secrets}
    target = traefik["configs"][0]["target"]
    assert f"--providers.file.filename={target}" in traefik["command"]


@pytest.mark.parametrize("cluster,stack", [("opendose", "opendose/opendose-stack.yml"),
                                           ("siren", "siren/siren-stack.yml")])
def test_the_demo_mock_site_pushes_to_its_clusters_mux(cluster, stack):
    """The demo's mockpacs sends to the cluster's mux, by the mux's AE title
    and its service's name on the cluster's network, and the mux admits it."""
    mux = merged(cluster, stack)["mux"]
    mock = merged(cluster, f"test/mock-{cluster}-stack.yml")["mockpacs"]
    env = mock["environment"]
    assert env["MOD_MUX"] == f"{mux['environment']['MUX_AET']},{cluster}_mux,5252"
    allowed = mux["environment"]["MUX_ALLOW"].split(",")
    assert "*" in allowed or env["MOCK_AET"] in allowed
    assert list(mock["networks"]) == [f"{cluster}_service_network"]
    assert f"{cluster}_service_network" in mux["networks"]
    assert env.get("MOCK_DOSE_REPORTS") == ("true" if cluster == "opendose" else None)


def documented_variables(manual):
    """The variables a manual's "## Configuration" table lists."""
    text = open(os.path.join(REPO, "doc", manual)).read()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.M))


def test_splunk_is_set_up_by_a_one_shot_of_each_admin_stack():
    """The admin stacks' splunk-setup: cirr-splunk-setup of the watcher image
    run once by cirr-init, only documented variables (doc/splunk.md), the
    secrets the watchers' token and the admin password come from, HEC's
    scheme as the cluster's watchers speak it; RIH's management API (Splunk's
    own self-signed certificate) unverified, SIREN's verified with splunk_ca."""
    documented = documented_variables("splunk.md")
    image = open(os.path.join(REPO, "images", "watcher", "image.conf")).read()
    assert "project-binary build/cirr-splunk-setup /usr/local/bin/cirr-splunk-setup" in image.splitlines()
    expected = {"rih": {"SPLUNK_MGMT_INSECURE": "true", "SPLUNK_HEC_SSL": "false"},
                "siren": {"SPLUNK_MGMT_INSECURE": "false", "SPLUNK_HEC_SSL": "true",
                          "SPLUNK_MGMT_CA": "/run/secrets/splunk_ca"}}
    for cluster, want in expected.items():
        svc = merged(cluster, f"{cluster}/admin-stack.yml")["splunk-setup"]
        env = svc["environment"]
        assert svc["image"].startswith("cirr/watcher:") and one_shot(svc)
        assert svc["command"] == ["--", "/usr/local/bin/cirr-splunk-setup"]
        assert set(env) <= documented, set(env) - documented
        assert env["SPLUNK_MGMT_URL"] == "https://splunk:8089"
        assert env["SPLUNK_PASSWORD_FILE"] == "/run/secrets/splunk_password"
        assert env["SPLUNK_HEC_TOKEN_FILE"] == "/run/secrets/splunk_hec_token"
        # the splunk image's own provisioning makes a token of that name from its SPLUNK_HEC_TOKEN
        assert env["SPLUNK_HEC_TOKEN_NAME"] == "splunk_hec_token"
        assert {k: env.get(k) for k in want} == want, cluster
        assert set(secret_names(svc)) == {v.removeprefix("/run/secrets/") for v in env.values()
                                          if v.startswith("/run/secrets/")}
        assert "admin_proxy_network" in svc["networks"]  # where `splunk` is
