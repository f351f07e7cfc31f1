"""ci/pin-digests against a registry TEST DOUBLE (tests/support/registry_double.py):
the real registries are unreachable here, so this checks the tool's side of
the protocol and what it does to the stack files."""
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.support.paths import REPO, STACKS
from tests.support.registry_double import RegistryDouble
from tests.support.stacks import example_env

TOOL = os.path.join(REPO, "ci", "pin-digests")
ADMIN = os.path.join(STACKS, "rih", "admin-stack.yml")
EXTERNAL = {"traefik": "library/traefik", "portainer/portainer-ce": "portainer/portainer-ce",
            "portainer/agent": "portainer/agent", "splunk/splunk": "splunk/splunk"}


def images_of(path):
    """The images a stack file runs that come from a registry: cirr's own
    (the admin stack's splunk-setup runs cirr/watcher) are left to the
    release's hash manifest, by pin-digests as here."""
    return [svc["image"] for svc in yaml.safe_load(open(path))["services"].values()
            if not svc["image"].startswith("cirr/")]


def registry_names(path):
    """'traefik:v3.1.6' -> 'library/traefik:v3.1.6', as the registry names it."""
    out = []
    for ref in images_of(path):
        name, tag = ref.partition("@")[0].rsplit(":", 1)
        out.append(f"{EXTERNAL[name]}:{tag}")
    return out


@pytest.fixture
def registry():
    double = RegistryDouble(registry_names(ADMIN))
    yield double
    double.stop()


@pytest.fixture
def stack(tmp_path):
    path = tmp_path / "admin-stack.yml"
    shutil.copy(ADMIN, path)
    return str(path)


def run(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


def test_the_shipped_admin_stack_names_every_external_image_by_tag():
    # pinning starts from a tag: a bare name or 'latest' would pin whatever is newest that day
    for ref in images_of(ADMIN):
        tag = ref.partition("@")[0].rsplit(":", 1)[1]
        assert re.match(r"^v?\d+\.\d+\.\d+$", tag), ref


def test_pin_adds_the_registry_digest_and_changes_nothing_else(registry, stack):
    before = open(stack).read().split("\n")
    r = run("--registry-url", registry.url, stack)
    assert r.returncode == 0, r.stderr
    after = open(stack).read().split("\n")
    assert len(after) == len(before)
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(changed) == 4
    for b, a in changed:
        ref = b.split("image:", 1)[1].strip()
        name, tag = ref.rsplit(":", 1)
        assert a == b + "@" + registry.digest(f"{EXTERNAL[name]}:{tag}")
    # every manifest was asked for with a token scoped to its repository
    fetched = [(p, auth) for p, _, auth in registry.requests if "/manifests/" in p and auth]
    assert {p for p, _ in fetched} == {f"/v2/{n.replace(':', '/manifests/')}" for n in registry_names(ADMIN)}
    for p, auth in fetched:
        assert auth == "Bearer anon repository:" + p[4:].split("/manifests/")[0] + ":pull"


def test_pinned_file_is_still_a_valid_stack(registry, stack):
    assert run("--registry-url", registry.url, stack).returncode == 0
    r = subprocess.run(["docker", "stack", "config", "-c", stack], env=example_env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    images = [svc["image"] for svc in yaml.safe_load(r.stdout)["services"].values()]
    registry_images = [i for i in images if not i.startswith("cirr/")]
    assert len(registry_images) == 4 and "cirr/watcher:0.1.0" in images  # splunk-setup's, left as it was
    for image in registry_images:
        assert re.search(r":[\w.-]+@sha256:[0-9a-f]{64}$", image), image


def test_own_images_are_left_to_the_hash_manifest(registry, tmp_path):
    path = tmp_path / "cirr-stack.yml"
    shutil.copy(os.path.join(STACKS, "rih", "cirr-stack.yml"), path)
    before = path.read_text()
    assert run("--registry-url", registry.url, str(path)).returncode == 0
    assert path.read_text() == before
    assert not registry.requests


def test_check_names_each_unpinned_image_and_passes_once_pinned(registry, stack):
    r = run("--check", stack)
    assert r.returncode == 1
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 4 and all("is not pinned to a digest" in l for l in lines)
    assert not registry.requests  # --check needs no network
    assert run("--registry-url", registry.url, stack).returncode == 0
    r = run("--check", stack)
    assert r.returncode == 0, r.stderr


def test_verify_reports_a_moved_tag_and_repinning_follows_it(registry, stack):
    assert run("--registry-url", registry.url, stack).returncode == 0
    assert run("--verify", "--registry-url", registry.url, stack).returncode == 0
    moved = registry_names(ADMIN)[0]
    old = registry.digest(moved)
    registry.move_tag(moved)
    r = run("--verify", "--registry-url", registry.url, stack)
    assert r.returncode == 1
    assert "now names " + registry.digest(moved) in r.stderr and old in r.stderr
    assert r.stderr.count("\n") == 1
    assert run("--registry-url", registry.url, stack).returncode == 0
    assert registry.digest(moved) in open(stack).read() and old not in open(stack).read()


def test_an_unknown_tag_leaves_the_file_as_it_was(registry, stack):
    before = open(stack).read()
    registry.manifests.pop(registry_names(ADMIN)[-1])
    r = run("--registry-url", registry.url, stack)
    assert r.returncode == 111
    assert r.stderr.count("\n") == 1 and "no such tag" in r.stderr and "left as it was" in r.stderr
    assert open(stack).read() == before


def test_a_digest_that_does_not_match_the_bytes_is_refused(registry, stack):
    before = open(stack).read()
    registry.lies.add(registry_names(ADMIN)[0])
    r = run("--registry-url", registry.url, stack)
    assert r.returncode == 111
    assert "registry says sha256:" + "0" * 64 in r.stderr
    assert open(stack).read() == before


def test_an_unreachable_registry_is_one_line(stack):
    r = run("--registry-url", "http://127.0.0.1:9", stack)
    assert r.returncode == 111
    assert r.stderr.count("\n") == 1 and "cannot reach http://127.0.0.1:9" in r.stderr


@pytest.mark.parametrize("line,why", [
    ("image: traefik", "no tag"),
    ("image: traefik:v3.1.6@sha256:abc", "is not a sha256 digest"),
])
def test_bad_references_are_named(tmp_path, line, why):
    path = tmp_path / "s.yml"
    path.write_text(f"services:\n  x:\n    {line}\n")
    r = run("--check", str(path))
    assert r.returncode == 1 and why in r.stderr and line.split(": ")[1] in r.stderr


def test_registry_host_and_library_prefix(tmp_path):
    double = RegistryDouble(["library/traefik:v3.1.6", "team/tool:1.0.0"])
    try:
        path = tmp_path / "s.yml"
        path.write_text("services:\n  a:\n    image: traefik:v3.1.6\n"
                        "  b:\n    image: \"registry.example.org:5000/team/tool:1.0.0\"  # ours\n")
        r = run("--registry-url", double.url, str(path))
        assert r.returncode == 0, r.stderr
        text = path.read_text()
        assert f"image: traefik:v3.1.6@{double.digest('library/traefik:v3.1.6')}\n" in text
        assert f"image: \"registry.example.org:5000/team/tool:1.0.0@{double.digest('team/tool:1.0.0')}\"  # ours" in text
    finally:
        double.stop()
