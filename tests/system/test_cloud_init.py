"""The nodes' cloud-init user-data (cloud-init/, doc/cloud-init.md).

Each user-data file is checked by Debian's `cloud-init schema`, and the
scripts it writes are taken out of it and run in a scratch root
(CIRR_ROOT), with stand-ins named as such on PATH: FAKE docker (records
its arguments and keeps a little swarm state in a JSON file), apt-get and
systemctl (record). cirr-verify is the real one (build/cirr-verify), on a
small release signed in the test, and checks the images it loaded in a
TEST DOUBLE of the Docker engine's image API (tests/support/docker_doubles).
The same scripts forming a real three-engine swarm: tests/cluster/."""
import http.server
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import threading

import pytest

from tests.support.docker_doubles import EngineDouble, tiny_image
from tests.support.nodes import CLOUD_INIT, MANAGER_TOKEN, TOKEN, Node, user_data
from tests.support.paths import REPO, built
from tests.support.ports import free_port

ROLES = ["manager", "storage", "worker"]
VERIFY = built("CIRR_VERIFY", "cirr-verify")

def one_error(r, code=100):
    assert r.returncode == code, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


# -- the user-data files ---------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_cloud_init_accepts_the_user_data(role):
    path = os.path.join(CLOUD_INIT, f"{role}.yaml")
    r = subprocess.run(["cloud-init", "schema", "--config-file", path], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Valid cloud-config" in r.stdout, r.stdout + r.stderr


def test_the_user_data_is_what_assemble_writes_from_the_scripts():
    r = subprocess.run([os.path.join(CLOUD_INIT, "assemble"), "--check"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_the_scripts_are_posix_sh_that_shellcheck_passes():
    scripts = sorted(os.path.join(CLOUD_INIT, "scripts", n) for n in os.listdir(os.path.join(CLOUD_INIT, "scripts")))
    # SC1090: node-lib.sh is found through CIRR_LIB; SC2034: PROG is read by node-lib.sh.
    r = subprocess.run(["shellcheck", "-s", "sh", "-e", "SC1090,SC2034", *scripts], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout
    for path in scripts:
        with open(path) as f:
            text = f.read()
        assert path.endswith(".sh") or text.startswith("#!/bin/sh\n# ") and "\nset -eu\n" in text, path


@pytest.mark.parametrize("role", ROLES)
def test_the_user_data_holds_no_token_and_reads_it_from_a_file_or_metadata(role):
    text, data = user_data(role)
    assert not re.search(r"SWMTKN-1-[0-9a-z]{20}", text)
    env = next(e["content"] for e in data["write_files"] if e["path"] == "/etc/cirr/node.env")
    assert "JOIN_TOKEN_FILE=/etc/cirr/swarm-join-token" in env and "JOIN_TOKEN_URL=" in env
    assert data["runcmd"][0][:2] == ["sh", "-ec"]


# -- every role: the Docker engine ----------------------------------------

def test_docker_is_installed_configured_and_started(tmp_path):
    node = Node(tmp_path, "worker", DOCKER_LOG_MAX_SIZE="20m", DOCKER_LOG_MAX_FILE="3")
    r = node.run("cirr-node-docker")
    assert r.returncode == 0, r.stderr
    config = json.loads((node.root / "etc/docker/daemon.json").read_text())
    assert config == {"data-root": "/var/lib/docker", "log-driver": "json-file",
                      "log-opts": {"max-size": "20m", "max-file": "3"}}
    dropin = (node.root / "etc/systemd/system/docker.service.d/cirr-data-root.conf").read_text()
    assert "RequiresMountsFor=/var/lib/docker" in dropin
    calls = node.calls()
    assert "apt-get install -y --no-install-recommends docker.io" in calls
    assert "systemctl restart docker" in calls and calls[-1] == '["docker", "info"]'
    # The same configuration again: started, not restarted.
    node.log.write_text("")
    assert node.run("cirr-node-docker").returncode == 0
    assert "systemctl start docker" in node.calls()


@pytest.mark.parametrize("setting,value,says", [
    ("DOCKER_LOG_MAX_SIZE", "lots", "DOCKER_LOG_MAX_SIZE='lots': not a size such as 50m"),
    ("DOCKER_LOG_MAX_FILE", "0", "DOCKER_LOG_MAX_FILE='0': not a whole number of files (1 or more)"),
    ("DOCKER_DATA_ROOT", "data", "DOCKER_DATA_ROOT='data': not an absolute path"),
])
def test_a_bad_engine_setting_stops_with_one_line(tmp_path, setting, value, says):
    node = Node(tmp_path, "worker", **{setting: value})
    line = one_error(node.run("cirr-node-docker"))
    assert line.startswith(f"cirr-node-docker: error: {says}")
    assert node.calls() == [] and not (node.root / "etc/docker/daemon.json").exists()


# -- joining ---------------------------------------------------------------

def test_a_worker_joins_with_the_token_from_its_file_and_never_shows_it(tmp_path):
    node = Node(tmp_path, "worker", MANAGER_ADDR="10.0.0.10:2377", ADVERTISE_ADDR="10.0.0.12")
    (node.root / "etc/cirr/swarm-join-token").write_text(TOKEN + "\n")
    r = node.run("cirr-node-join")
    assert r.returncode == 0, r.stderr
    assert node.docker_state()["swarm"] == "active"
    join = [json.loads(c) for c in node.calls() if '"join"' in c]
    assert join == [["docker", "swarm", "join", "--token", TOKEN, "--advertise-addr", "10.0.0.12", "10.0.0.10:2377"]]
    assert TOKEN not in r.stdout + r.stderr
    assert "token from JOIN_TOKEN_FILE /etc/cirr/swarm-join-token" in r.stdout
    # Run again (a reboot): already a member, no second join.
    assert "already a member" in node.run("cirr-node-join").stdout


def test_a_missing_join_token_stops_with_one_line_naming_it(tmp_path):
    node = Node(tmp_path, "storage")
    line = one_error(node.run("cirr-node-join"))
    assert line == ("cirr-node-join: error: JOIN_TOKEN_FILE /etc/cirr/swarm-join-token: missing (copy the swarm's "
                    "join token there, or set JOIN_TOKEN_FILE= and JOIN_TOKEN_URL)")
    assert not [c for c in node.calls() if '"join"' in c]


def test_a_token_that_is_not_one_is_refused_without_being_shown(tmp_path):
    node = Node(tmp_path, "worker")
    (node.root / "etc/cirr/swarm-join-token").write_text("hunter2 is my password\n")
    line = one_error(node.run("cirr-node-join"))
    assert line == "cirr-node-join: error: JOIN_TOKEN_FILE /etc/cirr/swarm-join-token: not a swarm join token (SWMTKN-1-...)"


def test_a_token_the_manager_refuses_is_redacted_from_what_docker_says(tmp_path):
    node = Node(tmp_path, "worker")
    wrong = TOKEN[:-4] + "zzzz"
    (node.root / "etc/cirr/swarm-join-token").write_text(wrong)
    r = node.run("cirr-node-join")
    assert r.returncode == 111
    assert wrong not in r.stdout + r.stderr
    assert "invalid join token [redacted]" in r.stdout
    assert r.stderr == "cirr-node-join: error: docker swarm join 10.0.0.10 failed (exit 1)\n"


class MetadataDouble:
    """A TEST DOUBLE of an instance metadata server: the token at /token,
    only to a request with the header Metadata-Flavor: Google."""

    def __init__(self, token):
        double = self
        self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                double.seen.append(self.headers.get("Metadata-Flavor"))
                ok = self.path == "/token" and self.headers.get("Metadata-Flavor") == "Google"
                body = token.encode() if ok else b"forbidden"
                self.send_response(200 if ok else 403)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.server = http.server.HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_worker_reads_its_token_from_instance_metadata(tmp_path):
    meta = MetadataDouble(TOKEN)
    try:
        node = Node(tmp_path, "worker", JOIN_TOKEN_FILE="", JOIN_TOKEN_URL=meta.url,
                    JOIN_TOKEN_HEADER="'Metadata-Flavor: Google'")
        r = node.run("cirr-node-join")
        assert r.returncode == 0, r.stderr
        assert node.docker_state()["swarm"] == "active" and meta.seen == ["Google"]
        assert TOKEN not in r.stdout + r.stderr
        node2 = Node(tmp_path / "2", "worker", JOIN_TOKEN_FILE="", JOIN_TOKEN_URL=meta.url)
        line = one_error(node2.run("cirr-node-join"), code=111)
        assert line == f"cirr-node-join: error: JOIN_TOKEN_URL {meta.url}: could not be fetched"
    finally:
        meta.close()


def test_the_first_manager_initialises_and_keeps_the_tokens_for_root_only(tmp_path):
    node = Node(tmp_path, "manager", ADVERTISE_ADDR="10.0.0.10")
    r = node.run("cirr-node-manager")
    assert r.returncode == 0, r.stderr
    assert ["docker", "swarm", "init", "--advertise-addr", "10.0.0.10"] in [json.loads(c) for c in node.calls()]
    folder = node.root / "etc/cirr/swarm"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for role, token in (("worker", TOKEN), ("manager", MANAGER_TOKEN)):
        f = folder / f"{role}.token"
        assert f.read_text() == token + "\n" and stat.S_IMODE(f.stat().st_mode) == 0o600
    assert TOKEN not in r.stdout + r.stderr and MANAGER_TOKEN not in r.stdout + r.stderr


def test_another_manager_joins_with_a_manager_token(tmp_path):
    node = Node(tmp_path, "manager", MANAGER_ADDR="10.0.0.10")
    (node.root / "etc/cirr/swarm-join-token").write_text(MANAGER_TOKEN)
    r = node.run("cirr-node-manager")
    assert r.returncode == 0, r.stderr
    assert not [c for c in node.calls() if '"init"' in c]
    assert node.docker_state()["swarm"] == "active"


# -- storage ---------------------------------------------------------------

def test_storage_makes_the_data_folders_with_their_owners_and_modes(tmp_path):
    node = Node(tmp_path, "storage", DATA_DIR_ON_ROOT_DISK="yes")
    (node.root / "data/postgres").mkdir(parents=True)
    (node.root / "data/postgres").chmod(0o777)  # an existing folder is corrected
    r = node.run("cirr-node-data")
    assert r.returncode == 0, r.stderr
    want = {"postgres": (1002, 1002, 0o700), "splunk": (0, 0, 0o755), "splunk/etc": (41812, 41812, 0o750),
            "splunk/var": (41812, 41812, 0o750), "mux": (1000, 1000, 0o700)}
    for folder, (uid, gid, mode) in want.items():
        st = (node.root / "data" / folder).stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, mode), folder


def test_storage_refuses_a_data_dir_that_is_not_the_data_disk(tmp_path):
    node = Node(tmp_path, "storage")
    line = one_error(node.run("cirr-node-data"))
    assert line.startswith("cirr-node-data: error: DATA_DIR /data: not a mount point")
    assert not (node.root / "data/postgres").exists()


def test_the_storage_engine_keeps_its_volumes_on_the_data_disk(tmp_path):
    node = Node(tmp_path, "storage")
    assert node.run("cirr-node-docker").returncode == 0
    assert json.loads((node.root / "etc/docker/daemon.json").read_text())["data-root"] == "/data/docker"


# -- the manager: labels and the release ------------------------------------

def three_nodes():
    return {"self": {"hostname": "cirr-manager", "addr": "10.0.0.10", "labels": {}},
            "n2": {"hostname": "cirr-storage", "addr": "10.0.0.11", "labels": {}},
            "n3": {"hostname": "cirr-worker", "addr": "10.0.0.12", "labels": {}}}


def test_the_manager_labels_the_storage_and_bridge_nodes_once(tmp_path):
    node = Node(tmp_path, "manager", STORAGE_NODES="cirr-storage", BRIDGE_NODES="10.0.0.12")
    node.set_state(swarm="active", node_id="self", nodes=three_nodes())
    r = node.run("cirr-node-label")
    assert r.returncode == 0, r.stderr
    labels = {n["hostname"]: n["labels"] for n in node.docker_state()["nodes"].values()}
    assert labels == {"cirr-manager": {}, "cirr-storage": {"storage": "true"}, "cirr-worker": {"bridge": "true"}}
    assert r.stdout.splitlines() == ["cirr-node-label: node cirr-storage (10.0.0.11): storage=true",
                                     "cirr-node-label: node cirr-worker (10.0.0.12): bridge=true"]
    node.log.write_text("")
    assert node.run("cirr-node-label").stdout == ""
    assert not [c for c in node.calls() if '"update"' in c]


def make_release(tmp, change_stack_byte=False, image=None, stacks=None):
    """A release folder as `make release` lays it out (stack files, DIGESTS,
    one image archive: image=(name, archive bytes, config digest, manifest
    digest), else cirr/tiny), its MANIFEST signed; then as release.tar.
    stacks: more stack files, {name: text}. Returns (tarball, public key,
    config digest)."""
    v = lambda *a: subprocess.run([VERIFY, *map(str, a)], capture_output=True, text=True, check=True)  # noqa: E731
    folder = tmp / "build" / "release"
    (folder / "images").mkdir(parents=True)
    (folder / "stacks/rih").mkdir(parents=True)
    for name in ("cirr-stack.yml", "cirr.env.example"):
        shutil.copyfile(os.path.join(REPO, "stacks/rih", name), folder / "stacks/rih" / name)
    name, data, cfg, man = image or ("cirr/tiny:0.1.0", *tiny_image("cirr/tiny:0.1.0", b"hello\n"))
    (folder / "images" / (name.split("/")[-1].split(":")[0] + ".tar")).write_bytes(data)
    (folder / "DIGESTS").write_text(f"# image config-digest manifest-digest\n{name} sha256:{cfg} sha256:{man}\n")
    for stack, text in (stacks or {}).items():
        (folder / "stacks/rih" / stack).write_text(text)
    key, pub = tmp / "build/site.key", tmp / "build/site.pub"
    v("keygen", key, pub)
    v("manifest", "--images", folder / "DIGESTS", folder)
    v("sign", "--key", key, folder / "MANIFEST")
    if change_stack_byte:
        stack = folder / "stacks/rih/cirr-stack.yml"
        raw = bytearray(stack.read_bytes())
        raw[raw.index(b"replicas: 2") + 10] = ord("9")
        stack.write_bytes(bytes(raw))
    tarball = tmp / "build/release.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(folder, "release")
    return tarball, pub, cfg


def manager_for(tmp_path, tarball, pub, **changes):
    settings = {"RELEASE_URL": f"file://{tarball}", "STORAGE_NODES": "cirr-storage", "BRIDGE_NODES": "10.0.0.12"}
    node = Node(tmp_path, "manager", **{**settings, **changes})
    node.set_state(swarm="active", node_id="self", nodes=three_nodes())
    shutil.copyfile(pub, node.root / "etc/cirr/release.pub")
    shutil.copyfile(VERIFY, node.root / "usr/local/sbin/cirr-verify")
    (node.root / "usr/local/sbin/cirr-verify").chmod(0o755)
    (node.root / "etc/cirr/cirr.env").write_text("DATA_DIR=/data\nMUX_ALLOW=MODALITY1\n")
    (node.root / "etc/cirr/secrets").mkdir(mode=0o700)
    for name in ("postgres_password", "orthanc_password"):
        (node.root / "etc/cirr/secrets" / name).write_text(f"{name}-value")
    return node


def deploy_checked_by_engine_double(tmp_path, node, cfg):
    """cirr-node-deploy on node, cirr-verify checking the loaded image in an
    engine double that holds cirr/tiny with config digest cfg: (result, double)."""
    engine = EngineDouble(tmp_path / "engine.sock", {"cirr/tiny:0.1.0": f"sha256:{cfg}"})
    try:
        return node.run("cirr-node-deploy", env={"DOCKER_HOST": f"unix://{engine.path}"}), engine
    finally:
        engine.close()


def test_the_manager_deploys_a_release_that_verifies(tmp_path):
    tarball, pub, cfg = make_release(tmp_path)
    node = manager_for(tmp_path, tarball, pub)
    r, engine = deploy_checked_by_engine_double(tmp_path, node, cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    assert engine.requests == ["GET /images/cirr/tiny:0.1.0/json HTTP/1.0"]  # checked once loaded
    st = node.docker_state()
    assert st["loaded"] == ["tiny.tar"]
    assert [d["stack"] for d in st["deployed"]] == ["cirr"]
    with open(os.path.join(REPO, "stacks/rih/cirr-stack.yml")) as f:
        assert st["deployed"][0]["file"] == f.read()  # the release's stack file, as signed
    assert st["deployed"][0]["MUX_ALLOW"] == "MODALITY1"  # the stacks' variables from STACK_ENV_FILE
    assert st["secrets"] == {"postgres_password": "postgres_password-value",
                             "orthanc_password": "orthanc_password-value"}
    assert "admin_proxy_network" in st["networks"]
    assert st["nodes"]["n2"]["labels"] == {"storage": "true"} and st["nodes"]["n3"]["labels"] == {"bridge": "true"}
    assert "cirr-node-deploy: deployed stack cirr from file://" in r.stdout
    assert (node.root / "var/lib/cirr/releases/current/MANIFEST").exists()
    assert [p.name for p in (node.root / "var/lib/cirr/releases").iterdir()] == ["current"]
    assert st["deployed"][0]["overrides"] == []


def test_the_sites_override_file_is_deployed_after_the_releases_stack_file(tmp_path):
    tarball, pub, cfg = make_release(tmp_path)
    node = manager_for(tmp_path, tarball, pub)
    override = 'version: "3.8"\nservices:\n  mux:\n    deploy:\n      endpoint_mode: dnsrr\n'
    (node.root / "etc/cirr/stack-overrides").mkdir(mode=0o700)
    (node.root / "etc/cirr/stack-overrides/cirr.yml").write_text(override)
    r, _ = deploy_checked_by_engine_double(tmp_path, node, cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    deployed = node.docker_state()["deployed"]
    with open(os.path.join(REPO, "stacks/rih/cirr-stack.yml")) as f:
        assert [(d["file"], d["overrides"]) for d in deployed] == [(f.read(), [override])]
    assert "deployed stack cirr from file://" in r.stdout and "with /etc/cirr/stack-overrides/cirr.yml" in r.stdout


def test_the_manager_refuses_a_release_with_one_byte_changed_naming_the_file(tmp_path):
    tarball, pub, _ = make_release(tmp_path, change_stack_byte=True)
    node = manager_for(tmp_path, tarball, pub)
    r = node.run("cirr-node-deploy")
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(line.startswith("cirr-verify: error: stacks/rih/cirr-stack.yml: changed: sha256 ")
               for line in r.stderr.splitlines()), r.stderr
    assert r.stderr.splitlines()[-1] == (f"cirr-node-images: error: release file://{tarball} does not verify "
                                         "(cirr-verify exit 1): nothing loaded or deployed")
    calls = [json.loads(c)[1] for c in node.calls()]
    assert "load" not in calls and "stack" not in calls and "secret" not in calls
    assert list((node.root / "var/lib/cirr/releases").iterdir()) == []  # nothing kept


def test_a_verifier_that_is_not_the_pinned_one_is_never_run(tmp_path):
    tarball, pub, _ = make_release(tmp_path)
    fake = tmp_path / "cirr-verify-elsewhere"
    fake.write_text("#!/bin/sh\nexit 0\n")
    node = manager_for(tmp_path, tarball, pub, CIRR_VERIFY="/opt/cirr-verify", CIRR_VERIFY_URL=f"file://{fake}",
                       CIRR_VERIFY_SHA256="0" * 64)
    line = one_error(node.run("cirr-node-deploy"), code=1)
    assert line.startswith("cirr-node-images: error: /opt/cirr-verify: sha256 ")
    assert line.endswith(f"CIRR_VERIFY_SHA256 says {'0' * 64}: removed, not run")
    assert not (node.root / "opt/cirr-verify").exists() and node.docker_state()["deployed"] == []


@pytest.mark.parametrize("changes,says", [
    ({"RELEASE_URL": "ftp://x/release.tar"},
     "cirr-node-images: error: RELEASE_URL='ftp://x/release.tar': not an https://, http:// or file:/// URL"),
    ({"DEPLOY_STACKS": "cirr evil"}, "cirr-node-deploy: error: DEPLOY_STACKS: 'evil' is not one of admin cirr projects mock"),
    ({"RELEASE_PUBKEY": "/etc/cirr/none.pub"},
     "cirr-node-images: error: RELEASE_PUBKEY /etc/cirr/none.pub: missing or not a PEM public key"),
    ({"STACK_ENV_FILE": "/etc/cirr/none.env"}, "cirr-node-deploy: error: STACK_ENV_FILE /etc/cirr/none.env: missing"),
])
def test_bad_deploy_settings_stop_with_one_line(tmp_path, changes, says):
    tarball, pub, _ = make_release(tmp_path)
    node = manager_for(tmp_path, tarball, pub, **changes)
    line = one_error(node.run("cirr-node-deploy"))
    assert line.startswith(says)
    assert node.calls() == []
