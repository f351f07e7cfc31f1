#!/usr/bin/env python3
"""make bench-images: cirr/orthanc and cirr/postgres next to the images a
user would build without cirr: a Debian 12 base made with debootstrap, then
`apt-get install orthanc orthanc-postgresql` or `postgresql`. One run, one
machine, one table: compressed size (gzip -n of `docker save`), unpacked
size (`docker image inspect .Size`), and time to healthy: on the first
start (`docker run`; cirr/postgres runs initdb then, while the conventional
image had its cluster made by the package at build time) and on a restart
with the data in place (`docker stop`, then `docker start`). Both sides use the same health-check interval (200 ms); the
conventional images check with bash's /dev/tcp (Orthanc) or pg_isready,
as the seed stacks did.

Goals (issue 3): cirr images at most 40% of the conventional size; time to
healthy no worse. The conventional rootfs is cached in build/bench/."""
import gzip
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, "build", "bench")


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def conventional(name, packages):
    tag = f"cirr-bench/debian-{name}:latest"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0:
        return tag
    root = os.path.join(CACHE, f"rootfs-{name}")
    if not os.path.exists(os.path.join(root, "usr/bin/apt-get")):
        print(f"bench: debootstrap bookworm for {name} (a few minutes)", file=sys.stderr)
        sh("debootstrap", "--variant=minbase", "bookworm", root, "http://deb.debian.org/debian")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with open(os.path.join(root, "usr/sbin/policy-rc.d"), "w") as f:
        f.write("#!/bin/sh\nexit 101\n")
    os.chmod(os.path.join(root, "usr/sbin/policy-rc.d"), 0o755)
    sh("chroot", root, "apt-get", "install", "-y", "--no-install-recommends", *packages, env=env)
    sh("chroot", root, "apt-get", "clean")
    tar = subprocess.Popen(["tar", "-C", root, "--exclude=./proc/*", "--exclude=./sys/*", "-c", "."],
                           stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True)
    tar.wait()
    return tag


def sizes(tag):
    unpacked = json.loads(sh("docker", "image", "inspect", tag))[0]["Size"]
    saved = subprocess.run(["docker", "save", tag], check=True, capture_output=True).stdout
    return len(gzip.compress(saved, compresslevel=6, mtime=0)), unpacked


def wait_healthy(name, t0):
    while time.monotonic() - t0 < 180:
        state = json.loads(sh("docker", "inspect", name))[0]["State"]
        if state.get("Health", {}).get("Status") == "healthy":
            return time.monotonic() - t0
        if state["Status"] == "exited":
            raise SystemExit(f"bench: {name} exited: {sh('docker', 'logs', name)}")
        time.sleep(0.02)
    raise SystemExit(f"bench: {name} not healthy in 180 s")


def time_to_healthy(args):
    """(first start, restart with its data): seconds from docker run / docker
    start to healthy."""
    name = f"cirr-bench-{os.getpid()}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    try:
        t0 = time.monotonic()
        sh("docker", "run", "-d", "--name", name, "--health-interval", "100ms",
           "--health-start-period", "120s", *args)
        first = wait_healthy(name, t0)
        sh("docker", "stop", name)
        t0 = time.monotonic()
        sh("docker", "start", name)
        return first, wait_healthy(name, t0)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def main():
    os.makedirs(CACHE, exist_ok=True)
    for n in ("orthanc", "postgres"):
        sh("docker", "load", "-i", os.path.join(REPO, "build", "images", f"{n}.tar"))
    conv_o = conventional("orthanc", ["orthanc", "orthanc-postgresql"])
    conv_p = conventional("postgres", ["postgresql"])
    rows = [
        ("cirr/orthanc", "cirr/orthanc:latest",
         ["-e", "ORTHANC_PASSWORD=bench", "cirr/orthanc:latest"]),
        ("debian+orthanc", conv_o,
         ["--health-cmd", "bash -c 'echo > /dev/tcp/127.0.0.1/8042'", conv_o,
          "/usr/sbin/Orthanc", "/etc/orthanc/"]),
        ("cirr/postgres", "cirr/postgres:latest",
         ["-e", "POSTGRES_PASSWORD=bench", "cirr/postgres:latest"]),
        ("debian+postgresql", conv_p,
         ["--health-cmd", "pg_isready -h 127.0.0.1", "-u", "postgres", conv_p,
          "/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main",
          "-c", "config_file=/etc/postgresql/15/main/postgresql.conf"]),
    ]
    results = []
    for label, tag, run in rows:
        gz, raw = sizes(tag)
        results.append((label, gz, raw, time_to_healthy(run)))
    print(f"image benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, one run each")
    print()
    print("| image             | compressed | unpacked  | cirr/conventional | first start → healthy | restart → healthy |")
    print("|-------------------|-----------:|----------:|------------------:|----------------------:|------------------:|")
    for i, (label, gz, raw, (first, again)) in enumerate(results):
        ratio = f"{raw / results[i + 1][2] * 100:.0f}% unpacked" if i % 2 == 0 else ""
        print(f"| {label:<17} | {gz / 1048576:>6.1f} MiB | {raw / 1048576:>5.1f} MiB | {ratio:>17} |"
              f" {first:>19.2f} s | {again:>15.2f} s |")


if __name__ == "__main__":
    main()
