"""Docker for the image tests: the CLI, failing the test on an error, and
what one test made (containers, networks, volumes), removed after it."""
import json
import subprocess
import time
import uuid

from tests.support.paths import built

IMAGES = built("CIRR_IMAGES", "images")  # what `make images` wrote


def docker(*args, check=True, timeout=120):
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {r.stderr.strip()}")
    return r


class Containers:
    """Names everything it makes cirr-test-<tag>-...; cleanup() removes it all."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:8]
        self.containers, self.networks, self.volumes = [], [], []

    def network(self):
        name = f"cirr-test-{self.tag}-{len(self.networks)}"
        docker("network", "create", name)
        self.networks.append(name)
        return name

    def volume(self):
        name = f"cirr-test-{self.tag}-v{len(self.volumes)}"
        docker("volume", "create", name)
        self.volumes.append(name)
        return name

    def run(self, image, *args, name=None, env=None, network=None):
        name = name or f"cirr-test-{self.tag}-{len(self.containers)}"
        cmd = ["run", "-d", "--name", name]
        if network:
            cmd += ["--network", network, "--network-alias", name]
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        docker(*cmd, *args, image)
        self.containers.append(name)
        return name

    def inspect(self, name):
        return json.loads(docker("inspect", name).stdout)[0]

    def ip(self, name):
        nets = self.inspect(name)["NetworkSettings"]["Networks"]
        return next(iter(nets.values()))["IPAddress"]

    def logs(self, name):
        r = docker("logs", name, check=False)
        return r.stdout + r.stderr

    def wait_healthy(self, name, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.inspect(name)["State"]
            if state.get("Health", {}).get("Status") == "healthy":
                return
            if state["Status"] == "exited":
                raise AssertionError(f"{name} exited {state['ExitCode']}:\n{self.logs(name)}")
            time.sleep(0.5)
        raise AssertionError(f"{name} not healthy after {timeout}s:\n{self.logs(name)}")

    def wait_exited(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.inspect(name)["State"]
            if state["Status"] == "exited":
                return state["ExitCode"]
            time.sleep(0.3)
        raise AssertionError(f"{name} still running after {timeout}s")

    def cleanup(self):
        for c in self.containers:
            docker("rm", "-f", "-v", c, check=False)
        for n in self.networks:
            docker("network", "rm", n, check=False)
        for v in self.volumes:
            docker("volume", "rm", "-f", v, check=False)
