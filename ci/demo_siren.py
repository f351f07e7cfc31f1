"""make demo STACK=siren, and its system test: the SIREN CIRR on a
single-node swarm. mockpacs, standing in for a trial site, pushes studies
through the mux, which de-identifies them and sends them JPEG-LS lossless
to the two trial Orthancs (every 5th study's burned-in series is
quarantined); each trial's watcher indexes its stable studies into the HEC
double over HTTPS, verifying its certificate (made for the name `splunk`
by the run's throwaway CA) against the secret splunk_ca. What arrived
where: facts(), printed by summary()."""
import base64
import glob
import json
import os
import secrets
import shutil
import subprocess
import time

from ci.demo_certs import make_ca, make_server_cert, read
from ci.swarm import docker, env_example

STACKS = [("siren", ["siren/siren-stack.yml", "test/siren-override.yml", "test/siren-hec-host.yml"]),
          ("mock", ["test/mock-siren-stack.yml"])]
TRIALS = {"TRIAL1": "siren_trial1", "TRIAL2": "siren_trial2"}
WATCHERS = {"TRIAL1": "siren_watcher-trial1", "TRIAL2": "siren_watcher-trial2"}
HEC_NAME = "splunk"  # the name the watchers send to, in the HEC certificate
JPEG_LS = {"1.2.840.10008.1.2.4.80": "JPEG-LS lossless", "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless"}
MOCK_AET = "SITE1"


def env(push_limit, ct_slices, mr_slices, stable_age, studies=10000, min_free_mb=200):
    """siren.env.example with the single-node values: any caller at the mux
    (both trials get every study), mockpacs pushing push_limit studies at
    3600 simulated hours per hour, studies stable after stable_age s. The
    HEC address (splunk:PORT) and the host's address are set once the
    double runs."""
    return dict(env_example("siren/siren.env.example"), MUX_ALLOW="*", MUX_MIN_FREE_MB=str(min_free_mb),
                ORTHANC_STABLE_AGE=str(stable_age), MOCK_STUDIES=str(studies), MOCK_PUSH_SPEEDUP="3600",
                MOCK_PUSH_LIMIT=str(push_limit), MOCK_CT_SLICES=str(ct_slices), MOCK_MR_SLICES=str(mr_slices))


def make_secrets(c, folder):
    """The SIREN secrets beyond the shared three: a throwaway CA (splunk_ca),
    the pseudonym key, Traefik's certificate and key (made although the
    admin stack cannot run here). The HEC double's (cert, key) for HEC_NAME."""
    certs = os.path.join(folder, "certs")
    os.makedirs(certs, exist_ok=True)
    ca = make_ca(certs)
    hec = make_server_cert(certs, ca, HEC_NAME)
    tls = make_server_cert(certs, ca, "localhost")
    c.add_secret("splunk_ca", read(ca[0]))
    c.add_secret("siren_anon_key", secrets.token_hex(32))
    c.add_secret("siren_tls_cert", read(tls[0]))
    c.add_secret("siren_tls_key", read(tls[1]))
    return hec


def deploy(c, log):
    for stack, files in STACKS:
        log(f"deploying the {stack} stack ({', '.join(files)})")
        c.deploy(stack, files)
        c.wait_healthy(stack)


# One exec in a trial Orthanc's container: per instance its tags, transfer
# syntax and stored size, as concatenated JSON objects.
INSTANCES_SCRIPT = r'''
api() { wget -qO- --header "Authorization: Basic $AUTH" "http://127.0.0.1:8042$1"; }
for id in $(api /instances | tr -d '[]",'); do
  printf '{"id":"%s","tags":' "$id"; api "/instances/$id/simplified-tags"
  printf ',"header":'; api "/instances/$id/header?simplify"
  printf ',"size":'; api "/instances/$id/attachments/dicom/size"; printf '}\n'
done
'''


def trial_instances(c, service):
    auth = base64.b64encode(f"admin:{c.secrets['orthanc_password']}".encode()).decode()
    out = c.exec(service, "env", f"AUTH={auth}", "sh", "-c", INSTANCES_SCRIPT)
    decoder, pos, found = json.JSONDecoder(), 0, []
    while True:
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos == len(out):
            return found
        obj, pos = decoder.raw_decode(out, pos)
        found.append(obj)


def originals(c, studies, folder):
    """The instances mockpacs sent, fetched again from it (its instances are
    the same bytes each time) with DCMTK's getscu run in its container's
    network namespace: [(path, size, PatientID, PatientName, burned in)]."""
    import pydicom  # the host's (the system tests' dependency)
    pid = docker("inspect", "-f", "{{.State.Pid}}", c.container("mock_mockpacs")).stdout.strip()
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for uid in studies:
        r = subprocess.run(["nsenter", "-t", pid, "-n", "getscu", "-aet", "CIRRDEMO", "-aec", MOCK_AET,
                            "-od", folder, "127.0.0.1", "7272", "-k", "QueryRetrieveLevel=STUDY",
                            "-k", f"StudyInstanceUID={uid}"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"getscu of {uid} from mockpacs: {r.stderr.strip()}")
    found = []
    for path in sorted(glob.glob(os.path.join(folder, "*"))):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        found.append((path, os.path.getsize(path), str(ds.get("PatientID", "")), str(ds.get("PatientName", "")),
                      str(ds.get("BurnedInAnnotation", "")).upper() == "YES"))
    return found


def trial_facts(instances, original_ids):
    """Counts of one trial's instances: anonymized (PatientIdentityRemoved
    YES, no original PatientID/PatientName), JPEG-LS, stored bytes."""
    tags = [i["tags"] for i in instances]
    leaked = [t for t in tags if t.get("PatientID") in original_ids or t.get("PatientName") in original_ids]
    return {"instances": len(instances), "studies": len({t.get("StudyInstanceUID") for t in tags}),
            "identity_removed": sum(t.get("PatientIdentityRemoved") == "YES" for t in tags),
            "leaked": len(leaked), "patients": sorted({t.get("PatientID", "") for t in tags}),
            "syntaxes": sorted({i["header"].get("TransferSyntaxUID", "?") for i in instances}),
            "jpeg_ls": sum(i["header"].get("TransferSyntaxUID") in JPEG_LS for i in instances),
            "stored_bytes": sum(int(i["size"]) for i in instances)}


def mux_counts(c):
    """{(metric, destination): value} of the mux's per-destination counters."""
    return {(name, labels.get("destination", "")): v for name, labels, v in c.metrics("siren_mux", 8081)}
