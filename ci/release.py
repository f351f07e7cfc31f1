#!/usr/bin/env python3
"""make release: build/release/ (one folder) and build/release.tar (the
same, one file), described by a signed MANIFEST that cirr-verify checks.

  python3 -m ci.release BUILD [PRIVATE_KEY]

The folder holds images/ (every image archive and SBOM of `make images`),
DIGESTS, stacks/ (the stack files, env examples and what they mount, as in the
repository), MANIFEST (every file's SHA-256 and every image's digests,
written by `cirr-verify manifest`) and MANIFEST.sig (`cirr-verify sign`).
It is verified before this exits 0.

The key: PRIVATE_KEY (a site's or CI's, from a secret file: never in the
repository), its public key beside it as <name>.pub. Without one, a
development key pair is made once in BUILD/keys/ and the release says
so: good for make demo and the tests on this machine, worth nothing to
anyone else (doc/verify.md, Keys)."""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def say(msg):
    print(f"release: {msg}", flush=True)


def verify_bin(build):
    return os.path.join(build, "cirr-verify")


def key_pair(build, private):
    """(private, public) key files; the development pair made when none is given."""
    if private:
        public = os.path.splitext(private)[0] + ".pub"
        if not os.path.exists(public):
            sys.exit(f"release: fatal: {private} has no public key beside it ({public})")
        return private, public
    keys = os.path.join(build, "keys")
    private, public = os.path.join(keys, "development.key"), os.path.join(keys, "development.pub")
    if not os.path.exists(private):
        os.makedirs(keys, mode=0o700, exist_ok=True)
        subprocess.run([verify_bin(build), "keygen", private, public], check=True, stdout=subprocess.DEVNULL)
        say(f"made a development key pair in {keys}/ (sites sign with their own: doc/verify.md)")
    return private, public


def stack_files():
    """Everything under stacks/, relative to the repository: the stack
    files, env examples, and what they mount (the OpenDose dashboards'
    Splunk app, mounted by the admin stack's Splunk)."""
    out = []
    for root, _, names in os.walk(os.path.join(REPO, "stacks")):
        out += [os.path.relpath(os.path.join(root, n), REPO) for n in names]
    return sorted(out)


def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)


def assemble(build, folder):
    images = os.path.join(build, "images")
    shutil.rmtree(folder, ignore_errors=True)
    for name in sorted(os.listdir(images)):
        if name.endswith((".tar", ".sbom")):
            copy(os.path.join(images, name), os.path.join(folder, "images", name))
    copy(os.path.join(images, "DIGESTS"), os.path.join(folder, "DIGESTS"))
    for rel in stack_files():
        copy(os.path.join(REPO, rel), os.path.join(folder, rel))


def epoch(build):
    """The images' SOURCE_DATE_EPOCH, for the tarball's times too."""
    for line in open(os.path.join(build, "images", "DIGESTS")):
        if "SOURCE_DATE_EPOCH=" in line:
            return int(line.split("SOURCE_DATE_EPOCH=")[1].rstrip(")\n"))
    return 0


def tarball(folder, out, mtime):
    """The folder as one tar: sorted, numeric owner 0, fixed times and modes."""
    def norm(info):
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = mtime
        info.mode = 0o755 if info.isdir() else 0o644
        return info
    with tarfile.open(out + ".tmp", "w", format=tarfile.PAX_FORMAT) as t:
        base = os.path.basename(folder)
        t.add(folder, base, recursive=False, filter=norm)
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            for n in sorted(dirs) + sorted(names):
                path = os.path.join(root, n)
                t.add(path, os.path.join(base, os.path.relpath(path, folder)), recursive=False, filter=norm)
    os.replace(out + ".tmp", out)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    private, public = key_pair(build, sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None)
    folder = os.path.join(build, "release")
    assemble(build, folder)
    v = verify_bin(build)
    subprocess.run([v, "manifest", "--images", os.path.join(folder, "DIGESTS"), folder], check=True)
    subprocess.run([v, "sign", "--key", private, os.path.join(folder, "MANIFEST")], check=True)
    r = subprocess.run([v, "verify", "--key", public, "--archives", os.path.join(folder, "images"), folder])
    if r.returncode != 0:
        sys.exit("release: fatal: the release just made does not verify")
    tarball(folder, os.path.join(build, "release.tar"), epoch(build))
    # Beside the release, never inside it: a node that took its verifier from
    # the release it checks would prove nothing. Nodes pin it by its hash
    # (CIRR_VERIFY_SHA256, doc/cloud-init.md).
    published = os.path.join(build, "release-cirr-verify")
    shutil.copyfile(v, published)
    os.chmod(published, 0o755)
    say(f"verifier for nodes: {published} sha256 {hashlib.sha256(open(v, 'rb').read()).hexdigest()}")
    say(f"{folder}/ and {folder}.tar, signed with {private}; verify with "
        f"cirr-verify verify --key {public} --archives {folder}/images {folder}")


if __name__ == "__main__":
    main()
