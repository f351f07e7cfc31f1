"""The RIH stack files and the environment `docker stack config` checks
them with: the example a new site copies (stacks/rih/cirr.env.example)."""
import os

from tests.support.paths import STACKS

FILES = ["rih/admin-stack.yml", "rih/cirr-stack.yml", "rih/projects-stack.yml", "rih/mock-stack.yml"]


def example_env():
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    for line in open(os.path.join(STACKS, "rih", "cirr.env.example")):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v.strip("'\"")
    return env
