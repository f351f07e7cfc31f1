"""Traefik self-registration and output relaying (points 10, 11)."""
import json
import os
import pathlib
import signal

import jsonschema
import yaml

from tests.support.cirr_init import PY, flag_probe
from tests.support.paths import REFERENCE
from tests.support.waiting import wait_for

def schema():
    path = pathlib.Path(REFERENCE, "traefik-v3-file-provider.json")
    assert path.exists(), f"{path} missing: the tests expect shared/ beside the repository"
    return json.loads(path.read_text())


def test_fragment_written_when_ready_valid_and_removed_at_stop(box):
    dyn = box.path / "dynamic"
    dyn.mkdir()
    flag = box.path / "ready"
    f = box.file("services", flag_probe("up", flag) + """
[service orthanc]
command = sleep 60
ready = up
traefik-rule = PathPrefix(`/archive`)
traefik-port = 8042
traefik-strip-prefix = /archive
traefik-entrypoints = web,websecure
traefik-host = archive-1
""")
    r = box.start("-f", str(f), env={"CIRR_TRAEFIK_DIR": str(dyn)})
    wait_for(lambda: "started sleep" in r.stderr())
    hostname = os.uname().nodename
    path = dyn / f"orthanc-{hostname}.yml"
    assert not path.exists()  # not before the service is ready
    flag.touch()
    wait_for(lambda: path.exists(), what="fragment")
    doc = yaml.safe_load(path.read_text())
    jsonschema.validate(doc, schema())
    name = f"orthanc-{hostname}"
    router = doc["http"]["routers"][name]
    assert router["rule"] == "PathPrefix(`/archive`)"
    assert router["entryPoints"] == ["web", "websecure"]
    assert router["middlewares"] == [f"{name}-strip"]
    assert doc["http"]["middlewares"][f"{name}-strip"]["stripPrefix"]["prefixes"] == ["/archive"]
    assert doc["http"]["services"][name]["loadBalancer"]["servers"] == [{"url": "http://archive-1:8042"}]
    r.signal(signal.SIGTERM)
    r.wait()
    assert not path.exists()
    assert list(dyn.iterdir()) == []


def test_fragment_with_quotes_in_rule_stays_valid(box):
    dyn = box.path / "dynamic"
    dyn.mkdir()
    f = box.file("services", f"""
[service web]
command = sleep 60
traefik-rule = Host(`a"b`) && PathPrefix(`/x\\\\y`)
traefik-port = 80
traefik-dir = {dyn}
""")
    r = box.start("-f", str(f))
    wait_for(lambda: any(dyn.iterdir()), what="fragment")
    doc = yaml.safe_load(next(dyn.iterdir()).read_text())
    jsonschema.validate(doc, schema())
    assert list(doc["http"]["routers"].values())[0]["rule"] == 'Host(`a"b`) && PathPrefix(`/x\\\\y`)'
    r.signal(signal.SIGTERM)
    r.wait()


CHATTY = r"""
import os, sys, time
tag = sys.argv[1]
for i in range(300):
    # a line in three writes, so that a careless relay would interleave
    os.write(1, f"{tag}-{i}-".encode())
    time.sleep(0.0005)
    os.write(1, b"x" * 50)
    os.write(1, f"-{tag}-end\n".encode())
os.write(2, f"{tag} to stderr\nno newline at exit".encode())
"""


def test_output_lines_are_prefixed_and_never_interleave(box):
    s = box.file("chatty.py", CHATTY)
    f = box.file("services", f"""
[service alpha]
command = {PY} {s} A
restart = never
[service beta]
command = {PY} {s} B
restart = never
[service main]
command = sleep 3
restart = never
main = yes
""")
    r = box.run("-f", str(f), "-T")
    assert r.returncode == 0
    out = r.stdout().splitlines()
    body = [line.split(" ", 1)[1] for line in out]  # drop the timestamp
    for tag, name in (("A", "alpha"), ("B", "beta")):
        mine = [b for b in body if b.startswith(f"{name}: ")]
        assert len(mine) == 300
        for i, line in enumerate(mine):
            assert line == f"{name}: {tag}-{i}-{'x' * 50}-{tag}-end"
    err = r.stderr()
    assert "alpha: A to stderr\n" in err and "alpha: no newline at exit\n" in err
    # init's own messages go to stderr, never stdout
    assert all(not line.split(" ", 1)[1].startswith("cirr-init") for line in out)


def test_tini_mode_passes_output_untouched_unless_asked(box):
    r = box.run("--", "sh", "-c", "echo plain")
    assert r.stdout() == "plain\n"
    r = box.run("--prefix", "--", "sh", "-c", "echo tagged")
    assert r.stdout() == "sh: tagged\n"
