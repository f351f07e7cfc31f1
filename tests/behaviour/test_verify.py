"""cirr-verify (doc/verify.md): keys, signed release manifests, files and
images checked against them, and the seed's md5 lists.

Every test runs twice: with the static musl build (CIRR_VERIFY) and with
the ASan/UBSan build (CIRR_VERIFY_ASAN); any sanitizer report fails it.
Images are checked in docker-archive tarballs made by the project's own
image builder (rootfs/archive.py), and in a Docker engine stand-in: a test
double of the engine's GET /images/NAME/json on a unix socket (DOCKER_HOST).
The parser test throws mutated manifests, signatures, md5 lists and
docker-archives at the ASan build."""
import base64
import hashlib
import io
import json
import os
import random
import stat
import subprocess
import tarfile

import pytest

from tests.support.docker_doubles import EngineDouble, tiny_image
from tests.support.paths import built
from tests.support.processes import assert_no_sanitizer_report


VERIFY = built("CIRR_VERIFY", "cirr-verify")
VERIFY_ASAN = built("CIRR_VERIFY_ASAN", "asan/cirr-verify")
VERIFY_DEBUG = built("CIRR_VERIFY_DEBUG", "debug/cirr-verify")  # glibc, for valgrind
VERSION_LINE = "cirr-release-manifest 1\n"


@pytest.fixture(params=["static", "asan"])
def verify_bin(request):
    return VERIFY if request.param == "static" else VERIFY_ASAN


def run(binary, *args, env=None, timeout=30):
    r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       env={"PATH": "/usr/bin:/bin", "DOCKER_HOST": "unix:///nonexistent/docker.sock",
                            **(env or {})})
    assert_no_sanitizer_report(r.stderr)
    return r


def errors(r):
    """The problem lines, without the final summary."""
    return [line for line in r.stderr.splitlines() if ": error: " in line and "verification FAILED" not in line]


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Release:
    """A release folder with its MANIFEST, signed by a key pair made with
    cirr-verify keygen. The set-up runs the static build (keygen and sign
    have tests of their own under both builds); .verify runs binary."""

    def __init__(self, tmp, binary, files, images=()):
        self.tmp, self.bin, self.dir = tmp, binary, tmp / "release"
        self.key, self.pub = keypair(VERIFY, tmp, "site")
        for path, data in files.items():
            p = self.dir / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        lines = [f"file {sha256(data)} {path}\n" for path, data in files.items()]
        lines += [f"image {name} sha256:{cfg} sha256:{man}\n" for name, cfg, man in images]
        self.write_manifest(VERSION_LINE + "".join(lines))

    def write_manifest(self, text, sign=True, binary=VERIFY):
        (self.dir / "MANIFEST").write_bytes(text.encode() if isinstance(text, str) else text)
        if sign:
            r = run(binary, "sign", "--key", self.key, self.dir / "MANIFEST")
            assert r.returncode == 0, r.stderr

    def verify(self, *extra, key=None, env=None):
        return run(self.bin, "verify", "--key", key or self.pub, *extra, self.dir, env=env)


KEY_IDS = {}  # public key file: the key id keygen printed


def keypair(binary, where, name):
    key, pub = where / f"{name}.key", where / f"{name}.pub"
    r = run(binary, "keygen", key, pub)
    assert r.returncode == 0, r.stderr
    KEY_IDS[pub] = r.stdout.strip()
    assert len(KEY_IDS[pub]) == 16, r.stdout
    return key, pub


STACK = {"stacks/rih/cirr-stack.yml": b"services:\n  archive:\n    image: cirr/orthanc:0.1.0\n",
         "stacks/rih/cirr.env.example": b"DATA_DIR=/data\n",
         "DIGESTS": b"# image config-digest manifest-digest\n"}


def test_a_correct_release_verifies(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    r = rel.verify()
    assert r.returncode == 0, r.stderr
    assert "OK: 3 files and 0 images match MANIFEST" in r.stderr


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path, verify_bin):
    key, pub = keypair(verify_bin, tmp_path, "site")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pub.stat().st_mode) == 0o644
    assert "PRIVATE KEY" in key.read_text() and "BEGIN PUBLIC KEY" in pub.read_text()
    before = key.read_bytes()
    r = run(verify_bin, "keygen", key, tmp_path / "other.pub")
    assert r.returncode == 100 and "exists" in r.stderr and str(key) in r.stderr
    assert key.read_bytes() == before and not (tmp_path / "other.pub").exists()
    r = run(verify_bin, "keygen", tmp_path / "new.key", pub)
    assert r.returncode == 100 and "exists" in r.stderr
    assert not (tmp_path / "new.key").exists(), "a half-made pair was left behind"
    r = subprocess.run([verify_bin, "keygen", tmp_path / "open.key", tmp_path / "open.pub"], umask=0,
                       capture_output=True, text=True)
    assert r.returncode == 0 and stat.S_IMODE((tmp_path / "open.key").stat().st_mode) == 0o600, r.stderr


def test_one_byte_changed_names_the_file(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    p = rel.dir / "stacks/rih/cirr-stack.yml"
    data = bytearray(p.read_bytes())
    data[10] ^= 1
    p.write_bytes(bytes(data))
    r = rel.verify()
    assert r.returncode == 1
    assert errors(r) == [f"cirr-verify: error: stacks/rih/cirr-stack.yml: changed: sha256 {sha256(data)}, "
                         f"the manifest lists {sha256(STACK['stacks/rih/cirr-stack.yml'])}"]


def test_an_added_file_a_missing_file_and_a_symlink_are_named(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    (rel.dir / "stacks/rih/evil.yml").write_text("services: {}\n")
    (rel.dir / "DIGESTS").unlink()
    os.symlink("/etc/passwd", rel.dir / "stacks/link")
    r = rel.verify()
    assert r.returncode == 1
    assert sorted(errors(r)) == ["cirr-verify: error: DIGESTS: missing",
                                 "cirr-verify: error: stacks/link: unlisted (a symbolic link)",
                                 "cirr-verify: error: stacks/rih/evil.yml: unlisted"]


def test_a_listed_file_replaced_by_a_symlink_does_not_match(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    target = tmp_path / "same-bytes"
    target.write_bytes(STACK["DIGESTS"])
    (rel.dir / "DIGESTS").unlink()
    os.symlink(target, rel.dir / "DIGESTS")
    r = rel.verify()
    assert r.returncode == 1
    assert "cirr-verify: error: DIGESTS: changed: a symbolic link, not a file" in errors(r)


def test_a_manifest_edited_after_signing_fails_the_signature(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    text = (rel.dir / "MANIFEST").read_text()
    evil = sha256(b"evil")
    (rel.dir / "stacks/rih/cirr-stack.yml").write_bytes(b"evil")
    rel.write_manifest(text.replace(sha256(STACK["stacks/rih/cirr-stack.yml"]), evil), sign=False)
    r = rel.verify()
    assert r.returncode == 1
    assert errors(r) == ["cirr-verify: error: MANIFEST.sig: bad signature: MANIFEST (or its signature) "
                         "changed after signing"]


def test_a_signature_by_another_key_names_both_keys(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    other_key, other_pub = keypair(verify_bin, tmp_path, "other")
    r = run(verify_bin, "sign", "--key", other_key, rel.dir / "MANIFEST")
    assert r.returncode == 0, r.stderr
    r = rel.verify()
    assert r.returncode == 1
    assert errors(r) == [f"cirr-verify: error: MANIFEST.sig: bad signature: signed by key {KEY_IDS[other_pub]}, "
                         f"not by the trusted key {KEY_IDS[rel.pub]}"]
    assert KEY_IDS[other_pub] != KEY_IDS[rel.pub]
    assert rel.verify(key=other_pub).returncode == 0


def test_a_missing_or_malformed_signature_fails(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    sig = rel.dir / "MANIFEST.sig"
    good = sig.read_text()
    sig.write_text(good[:40])
    r = rel.verify()
    assert r.returncode == 1 and errors(r)[0].startswith("cirr-verify: error: MANIFEST.sig: malformed:")
    sig.unlink()
    r = rel.verify()
    assert r.returncode == 1 and errors(r) == ["cirr-verify: error: MANIFEST.sig: missing"]


def test_keys_of_the_wrong_kind_are_refused_naming_the_file(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    r = run(verify_bin, "sign", "--key", rel.pub, rel.dir / "MANIFEST")
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f"cirr-verify: fatal: {rel.pub} is not an unencrypted PEM private key"]
    r = rel.verify(key=rel.key)
    assert r.returncode == 100 and r.stderr.splitlines() == [f"cirr-verify: fatal: {rel.key} is not a PEM public key"]
    rsa, rsa_pub = tmp_path / "rsa.key", tmp_path / "rsa.pub"
    subprocess.run(["openssl", "genrsa", "-out", rsa, "1024"], capture_output=True, check=True)
    subprocess.run(["openssl", "rsa", "-in", rsa, "-pubout", "-out", rsa_pub], capture_output=True, check=True)
    r = run(verify_bin, "sign", "--key", rsa, rel.dir / "MANIFEST")
    assert r.returncode == 100 and r.stderr.splitlines()[-1] == f"cirr-verify: fatal: {rsa} is not an ECDSA P-256 key"
    r = rel.verify(key=rsa_pub)
    assert r.returncode == 100 and r.stderr.splitlines() == [f"cirr-verify: fatal: {rsa_pub} is not an ECDSA P-256 key"]
    assert "BEGIN" not in r.stderr


def test_signing_with_a_key_others_can_read_warns(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    rel.key.chmod(0o644)
    r = run(verify_bin, "sign", "--key", rel.key, rel.dir / "MANIFEST")
    assert r.returncode == 0
    assert (f"cirr-verify: warning: the private key {rel.key} can be read by others (mode 0644): chmod 600 it"
            in r.stderr.splitlines())
    assert "PRIVATE" not in r.stderr and rel.key.read_text().splitlines()[1] not in r.stderr


def test_signing_is_deterministic(tmp_path, verify_bin):
    rel = Release(tmp_path, verify_bin, STACK)
    first = (rel.dir / "MANIFEST.sig").read_bytes()
    rel.write_manifest((rel.dir / "MANIFEST").read_bytes(), binary=verify_bin)
    assert (rel.dir / "MANIFEST.sig").read_bytes() == first


MALFORMED_MANIFESTS = [
    ("", 1, "empty"),
    ("cirr-release-manifest 2\n", 1, "first line"),
    (VERSION_LINE + f"file {sha256(b'')} a\nfile {sha256(b'x')} a\n", 3, "listed twice"),
    (VERSION_LINE + f"file {sha256(b'')} ../etc/passwd\n", 2, "'..'"),
    (VERSION_LINE + f"file {sha256(b'')} /etc/passwd\n", 2, "absolute"),
    (VERSION_LINE + f"file {sha256(b'')} a//b\n", 2, "empty path component"),
    (VERSION_LINE + f"file {sha256(b'')} a\n".replace("a\n", "\xff\n"), 2, "UTF-8"),
    (VERSION_LINE + f"file {sha256(b'')} a", 2, "newline"),
    (VERSION_LINE + f"file {sha256(b'').upper()} a\n", 2, "lower-case hex"),
    (VERSION_LINE + f"file {sha256(b'')}  a\n", 2, "starts or ends with a space"),
    (VERSION_LINE + "file " + "a" * 3000 + "\n", 2, "longer than 2048"),
    (VERSION_LINE + f"image cirr/mux sha256:{sha256(b'')} sha256:{sha256(b'')}\n", 2, "tag"),
    (VERSION_LINE + f"image Cirr/mux:1 sha256:{sha256(b'')} sha256:{sha256(b'')}\n", 2, "repository"),
    (VERSION_LINE + f"image cirr/mux:1 md5:{sha256(b'')} sha256:{sha256(b'')}\n", 2, "expected 'image"),
    (VERSION_LINE + f"image cirr/mux:1 sha256:{sha256(b'')[:-1]}g sha256:{sha256(b'')}\n", 2, "digest"),
    (VERSION_LINE + f"image cirr/mux:1 sha256:{sha256(b'')} sha256:{sha256(b'')}\n" * 2, 3, "image listed twice"),
    (VERSION_LINE + f"file {sha256(b'')} a\r\n", 2, "control character"),
    (VERSION_LINE + "\n", 2, "expected a 'file' or 'image' entry"),
]


def test_malformed_manifests_are_refused_naming_the_line(tmp_path, verify_bin):
    paths = []
    for i, (text, _, _) in enumerate(MALFORMED_MANIFESTS):
        paths.append(tmp_path / f"MANIFEST{i}")
        paths[-1].write_bytes(text.encode("latin-1"))
    r = run(verify_bin, "check", *paths)
    assert r.returncode == 100
    lines = r.stderr.splitlines()
    assert len(lines) == len(paths), r.stderr
    for path, line, (_, n, what) in zip(paths, lines, MALFORMED_MANIFESTS):
        assert line.startswith(f"cirr-verify: error: {path}: malformed at line {n}: ") and what in line, line


def test_sign_refuses_a_malformed_manifest(tmp_path, verify_bin):
    key, _ = keypair(verify_bin, tmp_path, "site")
    m = tmp_path / "MANIFEST"
    m.write_text(VERSION_LINE + f"file {sha256(b'')} ../etc/passwd\n")
    r = run(verify_bin, "sign", "--key", key, m)
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f"cirr-verify: fatal: {m}: malformed at line 2: '.' or '..' component "
                                     "(not signed)"]
    assert not (tmp_path / "MANIFEST.sig").exists()


def test_a_signed_but_malformed_manifest_fails_verification(tmp_path, verify_bin):
    """A manifest signed by hand (or by an older tool) is still parsed strictly."""
    rel = Release(tmp_path, verify_bin, STACK)
    bad = VERSION_LINE + f"file {sha256(b'')} ../x\n"
    (rel.dir / "MANIFEST").write_text(bad)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", rel.key, rel.dir / "MANIFEST"],
                         capture_output=True, check=True).stdout
    key_id = (rel.dir / "MANIFEST.sig").read_text().split()[3]
    (rel.dir / "MANIFEST.sig").write_text(
        f"cirr-signature 1 ecdsa-p256-sha256 {key_id} {base64.b64encode(sig).decode()}\n")
    r = rel.verify()
    assert r.returncode == 1
    assert errors(r) == ["cirr-verify: error: MANIFEST: malformed at line 2: '.' or '..' component"]


# --- images -------------------------------------------------------------------

def archive_release(tmp, binary, payload=b"hello\n"):
    data, cfg, man = tiny_image("cirr/tiny:0.1.0", payload)
    (tmp / "archives").mkdir(exist_ok=True)
    (tmp / "archives" / "tiny.tar").write_bytes(data)
    return Release(tmp, binary, STACK, [("cirr/tiny:0.1.0", cfg, man)]), cfg, man


def test_an_image_archive_with_the_listed_digests_verifies(tmp_path, verify_bin):
    rel, _, _ = archive_release(tmp_path, verify_bin)
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 0, r.stderr
    assert "OK: 3 files and 1 images match" in r.stderr


def test_an_image_retagged_to_other_bytes_differs(tmp_path, verify_bin):
    rel, cfg, _ = archive_release(tmp_path, verify_bin)
    data, other_cfg, _ = tiny_image("cirr/tiny:0.1.0", b"other bytes\n")
    (tmp_path / "archives" / "tiny.tar").write_bytes(data)
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 1
    [line] = errors(r)
    assert line.startswith(f"cirr-verify: error: image cirr/tiny:0.1.0: config digest differs: "
                           f"the archive has sha256:{other_cfg}"), line


def test_a_layer_changed_inside_the_archive_differs(tmp_path, verify_bin):
    rel, _, _ = archive_release(tmp_path, verify_bin)
    tar_path = tmp_path / "archives" / "tiny.tar"
    with tarfile.open(tar_path) as t:
        members = {m.name: (m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()}
    man = json.loads(members["manifest.json"][1])[0]
    layer_name = man["Layers"][0]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, (m, data) in members.items():
            if name == layer_name:
                data = data[:-1] + bytes([data[-1] ^ 1])
            t.addfile(m, io.BytesIO(data) if data is not None else None)
    tar_path.write_bytes(out.getvalue())
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 1
    assert errors(r) == [f"cirr-verify: error: image cirr/tiny:0.1.0: layer differs: {layer_name} does not "
                         f"hash to the image manifest's digest ({tmp_path}/archives/tiny.tar)"]


def test_manifest_lists_a_folder_and_digests_and_the_result_verifies(tmp_path, verify_bin):
    data, cfg, man = tiny_image("cirr/tiny:0.1.0", b"hello\n")
    rel = tmp_path / "release"
    (rel / "images").mkdir(parents=True)
    (rel / "images/tiny.tar").write_bytes(data)
    (rel / "stacks").mkdir()
    (rel / "stacks/cirr stack.yml").write_bytes(b"services: {}\n")
    digests = tmp_path / "DIGESTS"
    digests.write_text(f"# image config-digest manifest-digest\ncirr/tiny:0.1.0 sha256:{cfg} sha256:{man}\n")
    r = run(verify_bin, "manifest", "--images", digests, rel)
    assert r.returncode == 0, r.stderr
    assert (rel / "MANIFEST").read_text() == (
        VERSION_LINE + f"file {sha256(data)} images/tiny.tar\n"
        f"file {sha256(b'services: {}' + bytes([10]))} stacks/cirr stack.yml\n"
        f"image cirr/tiny:0.1.0 sha256:{cfg} sha256:{man}\n")
    key, pub = keypair(verify_bin, tmp_path, "site")
    assert run(verify_bin, "sign", "--key", key, rel / "MANIFEST").returncode == 0
    r = run(verify_bin, "verify", "--key", pub, "--archives", rel / "images", rel)
    assert r.returncode == 0, r.stderr


def test_manifest_refuses_links_and_bad_digests_lines(tmp_path, verify_bin):
    rel = tmp_path / "release"
    rel.mkdir()
    (tmp_path / "DIGESTS").write_text(f"# x\ncirr/tiny sha256:{sha256(b'c')} sha256:{sha256(b'm')}\n")
    r = run(verify_bin, "manifest", "--images", tmp_path / "DIGESTS", rel)
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f"cirr-verify: fatal: {tmp_path}/DIGESTS: line 2: image name without a ':tag'"]
    os.symlink("/etc/passwd", rel / "passwd")
    r = run(verify_bin, "manifest", rel)
    assert r.returncode == 100
    assert r.stderr.splitlines() == ["cirr-verify: fatal: passwd: a symbolic link: a release holds only regular "
                                     "files with valid names"]
    assert not (rel / "MANIFEST").exists()


def test_check_reads_each_format_without_a_key(tmp_path, verify_bin):
    rel, _, _ = archive_release(tmp_path, verify_bin)
    (tmp_path / "list.json").write_text(json.dumps({"a": md5(b"")}))
    files = [rel.dir / "MANIFEST", rel.dir / "MANIFEST.sig", tmp_path / "list.json", tmp_path / "archives/tiny.tar"]
    r = run(verify_bin, "check", *files)
    assert r.returncode == 0, r.stderr
    key_id = (rel.dir / "MANIFEST.sig").read_text().split()[3]
    assert r.stderr.splitlines() == [
        f"cirr-verify: info: {files[0]}: OK: a manifest of 3 files and 1 images",
        f"cirr-verify: info: {files[1]}: OK: a signature by key {key_id}",
        f"cirr-verify: info: {files[2]}: OK: an md5 list of 1 files",
        f"cirr-verify: info: {files[3]}: OK: a docker-archive of cirr/tiny:0.1.0"]


def test_a_missing_archive_or_one_without_the_tag_differs(tmp_path, verify_bin):
    rel, _, _ = archive_release(tmp_path, verify_bin)
    tar_path = tmp_path / "archives" / "tiny.tar"
    data, _, _ = tiny_image("cirr/other:0.1.0", b"hello\n")
    tar_path.write_bytes(data)
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 1 and "the archive holds no image tagged cirr/tiny:0.1.0" in errors(r)[0]
    tar_path.write_bytes(b"not a tar" * 100)
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 1 and "is not a valid tar" in errors(r)[0]
    tar_path.unlink()
    r = rel.verify("--archives", tmp_path / "archives")
    assert r.returncode == 1 and "image cirr/tiny:0.1.0: missing: no archive" in errors(r)[0]


@pytest.fixture
def engine(tmp_path):
    doubles = []

    def start(images):
        d = EngineDouble(tmp_path / f"docker{len(doubles)}.sock", images)
        doubles.append(d)
        return {"DOCKER_HOST": f"unix://{d.path}"}, d
    yield start
    for d in doubles:
        d.close()


def test_images_loaded_in_the_engine_are_checked_by_their_id(tmp_path, verify_bin, engine):
    rel, cfg, man = archive_release(tmp_path, verify_bin)
    env, double = engine({"cirr/tiny:0.1.0": f"sha256:{cfg}"})
    r = rel.verify(env=env)
    assert r.returncode == 0, r.stderr
    assert double.requests == ["GET /images/cirr/tiny:0.1.0/json HTTP/1.0"]
    other = sha256(b"other image")
    env, _ = engine({"cirr/tiny:0.1.0": f"sha256:{other}"})
    r = rel.verify(env=env)
    assert r.returncode == 1
    assert errors(r) == [f"cirr-verify: error: image cirr/tiny:0.1.0: digest differs: the engine has "
                         f"sha256:{other}, the manifest lists sha256:{cfg}"]
    env, _ = engine({})
    r = rel.verify(env=env)
    assert r.returncode == 1
    assert errors(r) == ["cirr-verify: error: image cirr/tiny:0.1.0: missing: not loaded in the Docker engine"]


def test_an_unreachable_engine_is_a_system_error_and_a_bad_docker_host_a_usage_error(tmp_path, verify_bin):
    rel, _, _ = archive_release(tmp_path, verify_bin)
    r = rel.verify(env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"})
    assert r.returncode == 111
    assert "cannot reach the Docker engine" in errors(r)[0]
    r = rel.verify(env={"DOCKER_HOST": "tcp://10.0.0.1:2375"})
    assert r.returncode == 100 and "DOCKER_HOST" in r.stderr


def test_verify_is_valgrind_clean_when_it_passes_and_when_it_fails(tmp_path):
    rel, _, _ = archive_release(tmp_path, VERIFY)
    valgrind = ["/usr/bin/valgrind", "-q", "--error-exitcode=66", "--leak-check=full",
                "--errors-for-leak-kinds=definite", VERIFY_DEBUG]
    r = run(valgrind[0], *valgrind[1:], "verify", "--key", rel.pub, "--archives", tmp_path / "archives", rel.dir,
            timeout=120)
    assert r.returncode == 0, r.stderr
    (rel.dir / "DIGESTS").write_bytes(b"changed\n")
    (rel.dir / "extra").write_bytes(b"x")
    r = run(valgrind[0], *valgrind[1:], "verify", "--key", rel.pub, "--archives", tmp_path / "archives", rel.dir,
            timeout=120)
    assert r.returncode == 1 and len(errors(r)) == 2, r.stderr


# --- md5 lists (the seed's cirr_hashes.json) ------------------------------------

def md5(data):
    return hashlib.md5(data).hexdigest()


def test_md5_list_match_and_mismatch(tmp_path, verify_bin):
    root = tmp_path / "cirr"
    (root / "RIH").mkdir(parents=True)
    (root / "RIH/cirr_stack.yml").write_bytes(b"version: '3.7'\n")
    (root / "RIH/admin_stack.yml").write_bytes(b"services: {}\n")
    listing = {"RIH/cirr_stack.yml": md5(b"version: '3.7'\n"), "RIH/admin_stack.yml": md5(b"services: {}\n").upper()}
    (tmp_path / "cirr_hashes.json").write_text(json.dumps(listing, indent=2))
    r = run(verify_bin, "md5", tmp_path / "cirr_hashes.json", root)
    assert r.returncode == 0, r.stderr
    assert "OK: 2 files match" in r.stderr
    (root / "RIH/cirr_stack.yml").write_bytes(b"version: '3.8'\n")
    (root / "RIH/admin_stack.yml").unlink()
    r = run(verify_bin, "md5", tmp_path / "cirr_hashes.json", root)
    assert r.returncode == 1
    changed = md5(b"version: '3.8'\n")
    assert errors(r) == [f"cirr-verify: error: RIH/cirr_stack.yml: changed: md5 {changed}, "
                         f"the list has {listing['RIH/cirr_stack.yml']}",
                         "cirr-verify: error: RIH/admin_stack.yml: missing"]


MALFORMED_MD5_LISTS = [
    ('{"a": "0123"}', "not an md5 sum"),
    ('{"../a": "%s"}' % md5(b""), "'..'"),
    ('{"a": "%s", "a": "%s"}' % (md5(b""), md5(b"")), "duplicate key"),
    ('["a"]', "expected a JSON object"),
    ('{}', "expected a JSON object"),
    ('{"a": "%s",}' % md5(b""), "line 1 column"),
    ('{"a": "%s"} x' % md5(b""), "text after the value"),
    ('{"a": "%s"' % md5(b""), "line 1 column"),
    ('{"\\u0000": "%s"}' % md5(b""), "\\u0000"),
]


def test_malformed_md5_lists_are_refused(tmp_path, verify_bin):
    paths = []
    for i, (text, _) in enumerate(MALFORMED_MD5_LISTS):
        paths.append(tmp_path / f"list{i}.json")
        paths[-1].write_text(text)
    r = run(verify_bin, "check", *paths)
    assert r.returncode == 100
    lines = r.stderr.splitlines()
    assert len(lines) == len(paths), r.stderr
    for path, line, (_, what) in zip(paths, lines, MALFORMED_MD5_LISTS):
        assert line.startswith(f"cirr-verify: error: {path}: ") and what in line, line
    r = run(verify_bin, "md5", paths[1], tmp_path)
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f'cirr-verify: fatal: {paths[1]}: key "../a": \'.\' or \'..\' component']


def test_usage_errors_exit_100(tmp_path, verify_bin):
    for args in ([], ["nonsense"], ["verify"], ["sign", "MANIFEST"], ["keygen", "one"], ["md5"]):
        r = run(verify_bin, *args)
        assert r.returncode == 100 and r.stderr.startswith("usage: cirr-verify"), (args, r.stderr)
    r = run(verify_bin, "verify", tmp_path)
    assert r.returncode == 100 and "no public key" in r.stderr
    r = run(verify_bin, "--help")
    assert r.returncode == 0 and "Environment:" in r.stdout and "DOCKER_HOST" in r.stdout


# --- the parsers under ASan/UBSan, with hostile input ---------------------------

def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[pos:pos + rng.randint(1, 64)]                 # cut
        elif op == 1:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and data:
            data[min(pos, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif op == 3:
            line = data[:data.find(b"\n", pos) + 1 or len(data)][-200:]
            data[pos:pos] = line                                      # duplicate a line
        elif op == 4:
            data[pos:pos] = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                        b"/../", b"//", b"\x00", b"\r", b" ", b"\n\n"])
        elif op == 5:
            data = data[:pos]                                         # truncate
        else:
            data[pos:pos] = b"a" * rng.choice([100, 2100, 5000])      # oversized line
    return bytes(data)


def fuzz_inputs(tmp_path, binary):
    rel, cfg, man = archive_release(tmp_path, binary)
    manifest = (rel.dir / "MANIFEST").read_bytes()
    manifest += b"".join(f"file {sha256(bytes([i]))} dir{i % 3}/f{i}\n".encode() for i in range(8))
    return rel, manifest, (rel.dir / "MANIFEST.sig").read_bytes(), json.dumps(
        {f"RIH/f{i}.yml": md5(bytes([i])) for i in range(6)}).encode()


def mutate_tar(rng, data):
    """Either random damage (mutate) or one header field changed with its
    checksum fixed, so that the damage reaches past the checksum test."""
    if rng.random() < 0.4:
        return mutate(rng, data)
    data = bytearray(data)
    headers = [o for o in range(0, len(data) - 511, 512) if data[o + 257:o + 262] == b"ustar"]
    h = rng.choice(headers)
    field = rng.choice([(0, 100), (124, 12), (156, 1), (345, 155), (257, 8)])
    junk = rng.choice([b"\xff" * field[1], b"7" * field[1], b"\x00" * field[1], b"././@LongLink"[:field[1]],
                       bytes(rng.randrange(256) for _ in range(field[1])), b"L", b"x", b"5"])
    data[h + field[0]:h + field[0] + len(junk[:field[1]])] = junk[:field[1]]
    data[h + 148:h + 156] = b" " * 8
    data[h + 148:h + 156] = b"%06o\0 " % sum(data[h:h + 512])
    return bytes(data)


def check_batch(paths):
    """cirr-verify check on many files in one ASan/UBSan run: one line each."""
    r = subprocess.run([VERIFY_ASAN, "check", *map(str, paths)], capture_output=True, text=True,
                       errors="replace", timeout=60)
    lines = r.stderr.splitlines()
    if len(lines) < len(paths) or any(marker in r.stderr for marker in ("Sanitizer", "runtime error")):
        crashed = paths[min(len(lines), len(paths) - 1)]
        raise AssertionError(f"check stopped at {crashed.name} ({crashed.read_bytes()[:400]!r}):\n{r.stderr[-3000:]}")
    assert r.returncode in (0, 100), r.stderr[-2000:]
    assert len(lines) == len(paths), r.stderr[-2000:]
    verdicts = []
    for path, line in zip(paths, lines):
        assert line.startswith((f"cirr-verify: info: {path}: OK: ", f"cirr-verify: error: {path}: ")), line
        verdicts.append(": info: " in line)
    return verdicts


def test_hostile_manifests_signatures_md5_lists_and_archives_never_crash(tmp_path):
    """~2,000 mutated manifests, signatures, md5 lists and docker-archives
    (truncated, oversized lines, non-UTF-8, duplicated lines, stray bytes,
    tar headers with bad fields) through the ASan/UBSan build's parsers by
    `check`, in batches; then mutated
    signatures through a whole `verify`: no crash, no sanitizer report,
    one line for each input, and the inputs reach both verdicts."""
    rng = random.Random(16)
    rel, manifest, sig, md5_list = fuzz_inputs(tmp_path, VERIFY_ASAN)
    work = tmp_path / "fuzz"
    work.mkdir()
    tar = (tmp_path / "archives" / "tiny.tar").read_bytes()
    seeds = [("", manifest)] * 1100 + [(".sig", sig)] * 300 + [(".json", md5_list)] * 300 + [(".tar", tar)] * 300
    paths = []
    for i, (suffix, seed) in enumerate(seeds):
        paths.append(work / f"in{i}{suffix}")
        paths[-1].write_bytes(mutate_tar(rng, seed) if suffix == ".tar" else mutate(rng, seed))
    verdicts = {}
    for start in range(0, len(paths), 250):
        batch = paths[start:start + 250]
        for path, ok in zip(batch, check_batch(batch)):
            verdicts.setdefault(path.suffix, set()).add(ok)
    assert verdicts == {s: {True, False} for s in ("", ".sig", ".json", ".tar")}, verdicts
    for i in range(12):
        (rel.dir / "MANIFEST.sig").write_bytes(mutate(rng, sig))
        r = run(VERIFY_ASAN, "verify", "--key", rel.pub, "--archives", tmp_path / "archives", rel.dir)
        assert r.returncode == 1, r.stderr
        assert len(errors(r)) == 1 and errors(r)[0].startswith("cirr-verify: error: MANIFEST.sig: "), r.stderr
