#!/usr/bin/env python3
"""imagebuild: builds cirr's images without a registry or a Dockerfile.

  rootfs/imagebuild.py [--out build/images] IMAGE_DIR...

Every image is two layers: the shared base (rootfs/: passwd and group with
the service users, nsswitch.conf, the CA bundle, zoneinfo, static BusyBox
and its applet links, cirr-init at /sbin/cirr-init, cirr-verify beside it) and the image's own
layer, declared in IMAGE_DIR/image.conf. Same inputs give the same bytes:
entries sorted, every mtime SOURCE_DATE_EPOCH (default: the last commit's
time), the revision label SOURCE_REVISION (default: git's HEAD), numeric ids, gzip without name or time. Writes OUT/<name>.tar
(docker-archive + OCI layout), OUT/<name>.sbom (Debian packages whose files
the image contains) and OUT/DIGESTS.

image.conf, one directive per line (# comments):
  name NAME                        image name, e.g. cirr/orthanc
  binary PATH                      host program + its shared-library closure
  library-dir PATH                 host folder of plugins + their closures
  tree PATH                        host folder copied as it is
  exclude GLOB                     host paths left out of later tree/library-dir
  file PATH                        host file
  project SRC DST [MODE]           file of this repository (or build/)
  project-binary SRC DST           a program built here + its library closure
  symlink PATH TARGET
  dir PATH [UID:GID] [MODE]
  env KEY=VALUE | expose PORT/PROTO | volume PATH | workdir PATH | user USER
  cmd WORD...                      arguments to /sbin/cirr-init
  label KEY=VALUE
  healthcheck interval=30s timeout=10s start-period=60s retries=3
"""
import argparse
import datetime
import fnmatch
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import archive  # noqa: E402
import closure  # noqa: E402
from layer import tar_bytes  # noqa: E402
from tree import Tree  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "0.1.0"
ZONES = ["UTC", "Etc/UTC", "America/New_York", "America/Chicago", "America/Denver",
         "America/Los_Angeles", "Europe/London", "Europe/Berlin"]


def fail(msg):
    sys.exit(f"imagebuild: fatal: {msg}")


def source_date_epoch():
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    out = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%ct"], capture_output=True, text=True)
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else 0


def revision():
    """The commit built: SOURCE_REVISION when set (a copy of the tree
    without .git, an export), else git's HEAD."""
    if os.environ.get("SOURCE_REVISION"):
        return os.environ["SOURCE_REVISION"]
    out = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def base_tree(init_bin, verify_bin):
    t = Tree()
    for top, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
        t.add_dir(target)
        t.entries[top] = type(t.entries[target])("symlink", 0o777, target=target)
    for name in ("passwd", "group", "nsswitch.conf"):
        t.add_host_file(f"etc/{name}", os.path.join(REPO, "rootfs/skel/etc", name), mode=0o644)
    t.add_host_file("etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", mode=0o644)
    for zone in ZONES:
        t.add_host_file(f"usr/share/zoneinfo/{zone}", f"/usr/share/zoneinfo/{zone}", mode=0o644)
    t.add_symlink("etc/localtime", "/usr/share/zoneinfo/UTC")  # TZ=... picks another zone
    t.add_host_file("usr/bin/busybox", "/bin/busybox", mode=0o755)
    applets = subprocess.run(["/bin/busybox", "--list-full"], capture_output=True, text=True, check=True)
    for path in applets.stdout.split():
        if os.path.basename(path) not in ("busybox", "init", "linuxrc"):
            t.add_symlink(path, "/usr/bin/busybox")
    t.add_host_file("usr/sbin/cirr-init", init_bin, mode=0o755)
    t.add_host_file("usr/sbin/cirr-verify", verify_bin, mode=0o755)  # a node checks a release with it
    for d, mode in (("tmp", 0o1777), ("var/tmp", 0o1777), ("run", 0o755), ("run/cirr", 0o755),
                    ("etc/cirr", 0o755), ("root", 0o700), ("proc", 0o755), ("sys", 0o755), ("dev", 0o755)):
        t.add_dir(d, mode)
    return t


def add_closure(t, binary):
    for lib in closure.libraries(binary):
        t.add_host_file(lib, lib)


def parse_conf(path):
    conf = {"env": [], "expose": [], "volume": [], "label": {}, "cmd": [], "steps": [],
            "user": "0", "workdir": "/", "healthcheck": {}}
    for n, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        where = f"{path}:{n}"
        if word == "name":
            conf["name"] = rest
        elif word in ("binary", "library-dir", "tree", "file", "project", "project-binary", "symlink", "dir",
                      "exclude"):
            conf["steps"].append((where, word, shlex.split(rest)))
        elif word in ("env", "expose", "volume"):
            conf[word].append(rest)
        elif word in ("user", "workdir"):
            conf[word] = rest
        elif word == "cmd":
            conf["cmd"] = shlex.split(rest)
        elif word == "label":
            k, _, v = rest.partition("=")
            conf["label"][k] = v
        elif word == "healthcheck":
            conf["healthcheck"] = dict(kv.split("=", 1) for kv in rest.split())
        else:
            fail(f"{where}: unknown directive '{word}'")
    if "name" not in conf:
        fail(f"{path}: no 'name'")
    return conf


def apply_step(t, where, word, args, excluded):
    skip = lambda path: any(fnmatch.fnmatch(path, g) for g in excluded)  # noqa: E731
    try:
        if word == "exclude":
            excluded.append(args[0])
        elif word == "binary":
            t.add_host_file(args[0], args[0])
            add_closure(t, args[0])
        elif word == "library-dir":
            t.add_host_tree(args[0], skip=skip)
            for root, _, files in os.walk(args[0]):
                for f in files:
                    if ".so" in f and not skip(os.path.join(root, f)):
                        add_closure(t, os.path.join(root, f))
        elif word == "tree":
            t.add_host_tree(args[0], skip=skip)
        elif word == "file":
            t.add_host_file(args[0], args[0])
        elif word == "project":
            mode = int(args[2], 8) if len(args) > 2 else None
            t.add_host_file(args[1], os.path.join(REPO, args[0]), mode=mode)
        elif word == "project-binary":
            t.add_host_file(args[1], os.path.join(REPO, args[0]), mode=0o755)
            add_closure(t, os.path.join(REPO, args[0]))
        elif word == "symlink":
            t.add_symlink(args[0], args[1])
        elif word == "dir":
            uid, gid = (int(x) for x in (args[1] if len(args) > 1 else "0:0").split(":"))
            t.add_dir(args[0], int(args[2], 8) if len(args) > 2 else 0o755, uid, gid)
    except (OSError, IndexError, ValueError) as e:
        fail(f"{where}: {word} {' '.join(args)}: {e}")


def duration_ns(s):
    units = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9}
    for u in ("ms", "s", "m"):
        if s.endswith(u):
            return int(float(s[: -len(u)]) * units[u])
    return int(float(s) * 10**9)


def image_config(conf, sde):
    created = datetime.datetime.fromtimestamp(sde, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {
        "org.opencontainers.image.source": "https://example.invalid/cirr",
        "org.opencontainers.image.revision": revision(),
        "org.opencontainers.image.version": VERSION,
        "org.opencontainers.image.created": created,
        "org.opencontainers.image.title": conf["name"],
        **conf["label"],
    }
    hc = conf["healthcheck"]
    cfg = {
        "User": conf["user"],
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", *conf["env"]],
        "Entrypoint": ["/sbin/cirr-init"],
        "Cmd": conf["cmd"],
        "WorkingDir": conf["workdir"],
        "Labels": labels,
        "Healthcheck": {"Test": ["CMD", "/sbin/cirr-init", "health"],
                        "Interval": duration_ns(hc.get("interval", "30s")),
                        "Timeout": duration_ns(hc.get("timeout", "10s")),
                        "StartPeriod": duration_ns(hc.get("start-period", "60s")),
                        "Retries": int(hc.get("retries", "3"))},
    }
    if conf["expose"]:
        cfg["ExposedPorts"] = {p: {} for p in conf["expose"]}
    if conf["volume"]:
        cfg["Volumes"] = {v: {} for v in conf["volume"]}
    return {"architecture": "amd64", "os": "linux", "created": created, "author": "cirr",
            "config": cfg,
            "history": [{"created": created, "created_by": "cirr imagebuild: rootfs"},
                        {"created": created, "created_by": f"cirr imagebuild: {conf['name']}"}]}


def sbom_text(name, trees):
    files = sorted({f for t in trees for f in t.host_files()})
    owned = closure.owners(files)
    pkgs = sorted(set(owned.values()))
    lines = [f"# {name}: Debian packages whose files this image contains", *[f"{p} {v}" for p, v in pkgs]]
    return "\n".join(lines) + "\n"


def build_image(image_dir, base, base_tar, out, sde):
    conf = parse_conf(os.path.join(image_dir, "image.conf"))
    t = Tree()
    excluded = []
    for where, word, args in conf["steps"]:
        apply_step(t, where, word, args, excluded)
    sbom = sbom_text(conf["name"], [base, t])
    t.add_bytes("usr/share/cirr/sbom.txt", sbom.encode())
    data, cfg_digest, man_digest = archive.build(
        [base_tar, tar_bytes(t, sde)], image_config(conf, sde),
        [f"{conf['name']}:{VERSION}", f"{conf['name']}:latest"], sde)
    short = conf["name"].split("/")[-1]
    with open(os.path.join(out, f"{short}.tar"), "wb") as f:
        f.write(data)
    with open(os.path.join(out, f"{short}.sbom"), "w") as f:
        f.write(sbom)
    return conf["name"], cfg_digest, man_digest, len(data)


def main():
    ap = argparse.ArgumentParser(description="build cirr images")
    ap.add_argument("--out", default=os.path.join(REPO, "build/images"))
    ap.add_argument("--init", default=os.path.join(REPO, "build/cirr-init"))
    ap.add_argument("--verify", default=os.path.join(REPO, "build/cirr-verify"))
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    sde = source_date_epoch()
    base = base_tree(args.init, args.verify)
    base_tar = tar_bytes(base, sde)
    rows = [build_image(d, base, base_tar, args.out, sde) for d in args.images]
    with open(os.path.join(args.out, "DIGESTS"), "w") as f:
        f.write("# image config-digest manifest-digest (SOURCE_DATE_EPOCH=%d)\n" % sde)
        for name, cfg, man, _ in sorted(rows):
            f.write(f"{name}:{VERSION} sha256:{cfg} sha256:{man}\n")
    for name, cfg, _, size in rows:
        print(f"imagebuild: {name}:{VERSION} sha256:{cfg[:12]} {size / 1048576:.1f} MiB")


if __name__ == "__main__":
    main()
