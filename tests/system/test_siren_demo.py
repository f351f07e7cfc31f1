"""make demo STACK=siren as a system test (issue 15): the siren stack and
its mock site deploy on the single-node swarm with the test overrides and
become healthy; mockpacs' studies arrive in both trial Orthancs
de-identified (PatientIdentityRemoved=YES, none of the originals'
PatientID, PatientName or StudyInstanceUID) and JPEG-LS lossless, smaller
than the originals, the burned-in series quarantined; each trial's watcher
indexes its studies into the HEC double over HTTPS, verifying the double's
certificate against the run's CA (the secret splunk_ca)."""
import json

import pytest

from ci import demo_siren
from ci.swarm import docker
from tests.system.demo_cluster import demo_cluster, events_of, log

STUDIES = 5  # the 5th ends with a burned-in series (MOCK_BURNED_IN=5)
ENV = demo_siren.env(push_limit=STUDIES, ct_slices=3, mr_slices=2, stable_age=3, studies=200, min_free_mb=100)


@pytest.fixture(scope="module")
def arrived():
    with demo_cluster(ENV, tls=demo_siren.make_secrets, hec_name=demo_siren.HEC_NAME) as (c, double, data):
        demo_siren.deploy(c, log)
        facts = demo_siren.wait_arrived(c, events_of(double), STUDIES, f"{data}/originals", log)
        yield c, facts


def test_every_service_is_healthy(arrived):
    c, _ = arrived
    services = [s for stack, _ in demo_siren.STACKS for s in c.services(stack)]
    assert sorted(services) == ["mock_mockpacs", "mock_sitepacs", "siren_mux", "siren_postgres", "siren_trial1",
                                "siren_trial2", "siren_watcher-trial1", "siren_watcher-trial2"]
    assert {s: c.health(s) for s in services} == {s: "healthy" for s in services}


def test_each_trial_holds_every_sent_instance_anonymized_and_jpeg_ls(arrived):
    _, f = arrived
    assert f["pushed_studies"] == STUDIES and f["original_instances"] == f["pushed_instances"]
    burned_in = f["pushed_instances"] - f["sent_instances"]
    assert burned_in >= 1
    for trial, t in f["trials"].items():
        assert t["instances"] == f["sent_instances"], trial
        assert t["quarantined"] == burned_in, trial
        assert t["studies"] == STUDIES, trial
        assert t["identity_removed"] == t["instances"], trial
        assert t["leaked"] == 0, trial
        assert t["syntaxes"] == ["1.2.840.10008.1.2.4.80"] and t["jpeg_ls"] == t["instances"], trial
        assert t["compressed"] == t["instances"], trial
        assert 0 < t["stored_bytes"] < f["sent_bytes"] / 2, (trial, t["stored_bytes"], f["sent_bytes"])
        assert f["original_patients"] >= 1 and not set(t["patients"]) & {""}, trial


def test_each_trials_watcher_indexes_its_studies_over_verified_https(arrived):
    c, f = arrived
    for trial, t in f["trials"].items():
        assert t["indexed_studies"] == t["studies"] == STUDIES, trial
    for service in demo_siren.WATCHERS.values():
        spec = json.loads(docker("service", "inspect", "--format", "{{json .Spec.TaskTemplate.ContainerSpec}}",
                                 service).stdout)
        env = dict(v.split("=", 1) for v in spec["Env"])
        assert env["WATCH_HEC_URL"] == f"https://{c.env['SPLUNK_HEC_ADDRESS']}"
        assert env["WATCH_HEC_CA"] == "/run/secrets/splunk_ca" and env["WATCH_HEC_INSECURE"] == "false"
        assert "splunk_ca" in [s["SecretName"] for s in spec["Secrets"]]
