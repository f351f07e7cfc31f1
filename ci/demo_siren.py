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
import tarfile
import tempfile

from ci.demo_certs import make_ca, make_server_cert, read
from ci.demo_common import print_head, wait_for
from ci.swarm import env_example

STACKS = [("siren", ["siren/siren-stack.yml", "test/siren-override.yml", "test/siren-demo.yml"]),
          ("mock", ["test/mock-siren-stack.yml"])]
TRIALS = {"TRIAL1": "siren_trial1", "TRIAL2": "siren_trial2"}
WATCHERS = {"TRIAL1": "siren_watcher-trial1", "TRIAL2": "siren_watcher-trial2"}
HEC_NAME = "splunk"  # the name the watchers send to, in the HEC certificate
JPEG_LS = {"1.2.840.10008.1.2.4.80": "JPEG-LS lossless", "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless"}
MOCK_AET = "SITE1"
SITEPACS, STORE = "mock_sitepacs", "/var/lib/mockpacs"  # the originals, as the mux received them


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


def originals(c, folder):
    """The instances as mockpacs sent them, which the mux also forwards
    unchanged to the mock stack's sitepacs (test/siren-demo.yml), copied out
    of it: [(path, size, PatientID, PatientName, burned in)]."""
    import pydicom  # the host's (the system tests' dependency)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    cid = c.container(SITEPACS)
    if not cid:
        raise RuntimeError(f"{SITEPACS}: no running container")
    with tempfile.TemporaryFile() as tar:
        subprocess.run(["docker", "cp", f"{cid}:{STORE}", "-"], stdout=tar, check=True, timeout=300)
        tar.seek(0)
        with tarfile.open(fileobj=tar) as t:
            members = [m for m in t.getmembers() if m.isfile() and m.name.endswith(".dcm")]
            for m in members:
                m.name = os.path.basename(m.name)
            t.extractall(folder, members=members)
    found = []
    for path in sorted(glob.glob(os.path.join(folder, "*.dcm"))):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        found.append((path, os.path.getsize(path), str(ds.get("PatientID", "")), str(ds.get("PatientName", "")),
                      str(ds.get("BurnedInAnnotation", "")).upper() == "YES"))
    return found


def trial_facts(instances, original_ids):
    """Counts of one trial's instances: anonymized (PatientIdentityRemoved
    YES, no original PatientID, PatientName or StudyInstanceUID: original_ids),
    JPEG-LS, stored bytes."""
    tags = [i["tags"] for i in instances]
    leaked = [t for t in tags if {t.get("PatientID"), t.get("PatientName"), t.get("StudyInstanceUID")} & original_ids]
    return {"instances": len(instances), "studies": len({t.get("StudyInstanceUID") for t in tags}),
            "identity_removed": sum(t.get("PatientIdentityRemoved") == "YES" for t in tags),
            "leaked": len(leaked), "patients": sorted({t.get("PatientID", "") for t in tags}),
            "syntaxes": sorted({i["header"].get("TransferSyntaxUID", "?") for i in instances}),
            "jpeg_ls": sum(i["header"].get("TransferSyntaxUID") in JPEG_LS for i in instances),
            "stored_bytes": sum(int(i["size"]) for i in instances)}


def mux_counts(c):
    """{(metric, destination): value} of the mux's per-destination counters."""
    return {(name, labels.get("destination", "")): v for name, labels, v in c.metrics("siren_mux", 8081)}


def arrived(c, target):
    """(done, progress line): mockpacs has pushed target studies, the mux
    has delivered or quarantined every instance for each trial, and each
    trial Orthanc holds what the mux forwarded to it."""
    pushed = c.pushed_studies()
    mux = mux_counts(c)
    received = mux.get(("mux_received_total", ""), 0)
    at_site = len(c.workstation_uids(SITEPACS))
    done = len(pushed) >= target and received == sum(pushed.values()) == at_site
    parts = [f"sitepacs {at_site} originals"]
    for dest, service in TRIALS.items():
        forwarded = mux.get(("mux_forwarded_total", dest), 0)
        quarantined = mux.get(("mux_quarantined_total", dest), 0)
        stored = len(c.archive_api("/instances", service=service))
        done = done and forwarded + quarantined == received and stored == forwarded
        parts.append(f"{dest} {stored} stored of {int(forwarded)} forwarded, {int(quarantined)} quarantined")
    return done, (f"mockpacs pushed {len(pushed)} of {target} studies ({sum(pushed.values())} instances), "
                  f"the mux received {int(received)}; " + "; ".join(parts))


def events_by_trial(c, events):
    """{trial: {StudyInstanceUID: events}} of the watchers' study events,
    told apart by the HEC envelope's host (the watcher's container)."""
    hosts = {}
    for dest, service in WATCHERS.items():
        cid = c.container(service)
        if cid:
            hosts[c.exec(service, "hostname").strip()] = dest
    out = {dest: {} for dest in TRIALS}
    for e in events:
        dest = hosts.get(e.get("host"))
        uid = (e.get("event") or {}).get("StudyInstanceUID")
        if dest and uid:
            out[dest][uid] = out[dest].get(uid, 0) + 1
    return out


def facts(c, events, folder):
    """What arrived where, per trial: instances, anonymized, JPEG-LS, bytes
    stored against the originals' (fetched again from mockpacs), study
    events in the HEC double."""
    pushed = c.pushed_studies()
    orig = originals(c, folder)
    ids = {o[2] for o in orig} | {o[3] for o in orig} | set(pushed)
    sent = [o for o in orig if not o[4]]  # burned-in series are quarantined, not sent
    mux = mux_counts(c)
    by_trial = events_by_trial(c, events)
    trials = {}
    for dest, service in TRIALS.items():
        t = trial_facts(trial_instances(c, service), ids)
        t["quarantined"] = int(mux.get(("mux_quarantined_total", dest), 0))
        t["compressed"] = int(mux.get(("mux_compressed_total", dest), 0))
        t["indexed_studies"] = len(by_trial[dest])
        t["study_events"] = sum(by_trial[dest].values())
        trials[dest] = t
    return {"pushed_studies": len(pushed), "pushed_instances": sum(pushed.values()),
            "original_instances": len(orig), "original_patients": len({o[2] for o in orig}),
            "sent_instances": len(sent), "sent_bytes": sum(o[1] for o in sent),
            "trials": trials}


def wait_arrived(c, events, target, folder, log, timeout=300):
    """Until everything pushed is in both trials and each trial's studies
    are all in the HEC double (stable after ORTHANC_STABLE_AGE); the facts."""
    def step():
        done, line = arrived(c, target)
        if done:
            studies = {d: len(c.archive_api("/studies", service=s)) for d, s in TRIALS.items()}
            indexed = {d: len(v) for d, v in events_by_trial(c, events()).items()}
            line += "; HEC double: " + ", ".join(f"{d} {indexed[d]} of {studies[d]} studies" for d in TRIALS)
            done = all(indexed[d] >= studies[d] > 0 for d in TRIALS)
        return done, line, done and facts(c, events(), folder)
    return wait_for(step, timeout, log, "siren")


def summary(c, f, notes):
    """Prints the facts f; notes: the demo's lines on the HEC double and the admin stack."""
    print_head(c, "cirr demo (SIREN): summary", STACKS)
    print(f"studies pushed by mockpacs (a trial site, AE {MOCK_AET}) through the mux: {f['pushed_studies']}, "
          f"{f['pushed_instances']} instances of {f['original_patients']} patients; "
          f"{f['pushed_instances'] - f['sent_instances']} of them burned-in (quarantined, not sent)")
    print()
    print("| trial | instances | studies | anonymized (PatientIdentityRemoved=YES) | original PatientID/Name/StudyUID found "
          "| transfer syntax | stored bytes | originals' bytes | compression | study events in the HEC double |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for dest, t in f["trials"].items():
        syntax = ", ".join(JPEG_LS.get(s, s) for s in t["syntaxes"])
        ratio = f["sent_bytes"] / t["stored_bytes"] if t["stored_bytes"] else 0
        print(f"| {dest} | {t['instances']} | {t['studies']} | {t['identity_removed']} of {t['instances']} "
              f"| {t['leaked']} | {syntax} ({t['jpeg_ls']} of {t['instances']}) | {t['stored_bytes']} "
              f"| {f['sent_bytes']} | {ratio:.2f}:1 | {t['study_events']} events, {t['indexed_studies']} studies |")
    print()
    print("originals' bytes: the instances as mockpacs sent them (the mux forwards them unchanged to the mock site's")
    print("sitepacs too: test/siren-demo.yml), burned-in series left out; stored bytes: the trial Orthanc's files")
    for line in notes:
        print(line)
    print("HEC over HTTPS: the watchers verify the double's certificate (for the name splunk) against the secret")
    print("                splunk_ca, the demo's throwaway CA")
    print("DICOM:  the SIREN mux on port 5252 (AE SIRENMUX); the trial Orthancs TRIAL1, TRIAL2 inside the stack")
    print()
    print("tear it all down: make demo-down")
