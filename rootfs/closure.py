"""closure: the shared libraries a dynamically linked program needs (as
ldd resolves them, plus the ELF interpreter), and the Debian packages that
own a set of host files (the SBOM)."""
import os
import subprocess


def libraries(binary):
    """Host paths of the libraries binary loads; [] for a static binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0 or "not a dynamic executable" in out.stdout + out.stderr:
        return []
    libs = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            target = line.split("=>", 1)[1].strip().split(" (")[0]
            if target.startswith("/"):
                libs.append(target)
            elif target == "not found":
                raise SystemExit(f"imagebuild: {binary}: library {line.split()[0]} not found")
        elif line.startswith("/"):
            libs.append(line.split(" (")[0])  # the ELF interpreter
    return libs


def owners(paths):
    """Map each host path to (package, version), or leave it out when no
    Debian package owns it. Both the path and its real path are asked."""
    candidates = {}
    for p in paths:
        for q in {p, os.path.realpath(p)}:
            candidates.setdefault(q, p)
            # dpkg knows pre-usrmerge paths (/lib/...) for many packages
            if q.startswith("/usr/lib/") or q.startswith("/usr/bin/") or q.startswith("/usr/sbin/"):
                candidates.setdefault(q[4:], p)
    out = subprocess.run(["dpkg-query", "-S", *sorted(candidates)], capture_output=True, text=True)
    found = {}
    for line in out.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in candidates and "diversion" not in pkgs:
            pkg = pkgs.split(",")[0].strip().split(":")[0]
            found.setdefault(candidates[path], pkg)
    versions = {}
    pkgs = sorted(set(found.values()))
    if pkgs:
        q = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Version}\n", *pkgs],
                           capture_output=True, text=True)
        for line in q.stdout.splitlines():
            name, version = line.split()
            versions[name] = version
    return {p: (pkg, versions.get(pkg, "?")) for p, pkg in found.items()}
