"""The same sources built at another path, by another user, under umask
077 give the same images, byte for byte (issue 16): `make images`
runs again in a copy of the tracked files at a deeper path, as `nobody`,
and every archive, SBOM and DIGESTS must equal what `make images` wrote
here. On a difference, the test says which file inside which layer.

The copy takes this build's musl sysroot (ci/sysroot: 5 minutes to build
again); that it holds nothing of the path it was built at is checked
here directly, as the one thing the copy does not rebuild."""
import os
import pwd
import re
import shutil
import subprocess
import tempfile

import pytest

from tests.support.containers import IMAGES
from tests.support.paths import REPO
from tests.support.tardiff import explain

SYSROOT = os.path.join(os.path.dirname(IMAGES), "sysroot")


def source_date_epoch():
    """The SOURCE_DATE_EPOCH `make images` used here (DIGESTS' header)."""
    m = re.search(r"SOURCE_DATE_EPOCH=(\d+)", open(os.path.join(IMAGES, "DIGESTS")).read())
    assert m, "DIGESTS names no SOURCE_DATE_EPOCH"
    return m.group(1)


def revision():
    """The commit `make images` labelled the images with here (the copy has no .git)."""
    return subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def copy_tracked(dest, uid, gid):
    """The repository's files (tracked, and new ones not ignored) as they
    are here, with the modes a
    clone under umask 077 gets, owned by uid:gid."""
    files = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        src, dst = os.path.join(REPO, rel), os.path.join(dest, rel)
        if not os.path.lexists(src):
            continue  # deleted here, not committed yet
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copyfile(src, dst)
            os.chmod(dst, os.stat(src).st_mode & 0o700)
    for root, dirs, names in os.walk(dest):
        os.chown(root, uid, gid)
        os.chmod(root, 0o700)
        for n in names:
            os.lchown(os.path.join(root, n), uid, gid)


@pytest.fixture(scope="module")
def elsewhere():
    """A second build at another path, by nobody; its build folder."""
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="cirr-repro-", dir="/tmp")
    os.chmod(top, 0o755)
    src = os.path.join(top, "another", "checkout", "of", "cirr")
    try:
        copy_tracked(src, nobody.pw_uid, nobody.pw_gid)
        shutil.copytree(SYSROOT, os.path.join(src, "build", "sysroot"), symlinks=True)
        os.utime(os.path.join(src, "build", "sysroot", "STAMP"))  # newer than the copied ci/sysroot
        for root, dirs, names in os.walk(os.path.join(src, "build")):
            for n in dirs + names + [""]:
                os.lchown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
        env = {"PATH": os.environ["PATH"], "HOME": top, "SOURCE_DATE_EPOCH": source_date_epoch(),
               "SOURCE_REVISION": revision(), "LANG": "C.UTF-8"}
        r = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                            "sh", "-c", "umask 077 && exec make -j2 images"],
                           cwd=src, env=env, capture_output=True, text=True, timeout=1500)
        assert r.returncode == 0, f"the build at {src} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        yield os.path.join(src, "build")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_sysroot_holds_no_path_of_where_it_was_built():
    build = os.path.realpath(os.path.dirname(SYSROOT)).encode()
    libraries = [n for n in sorted(os.listdir(os.path.join(SYSROOT, "lib"))) if n.endswith(".a")]
    assert libraries
    for name in libraries:  # what is linked into the binaries (libtool's .la files are not)
        data = open(os.path.join(SYSROOT, "lib", name), "rb").read()
        assert build not in data, f"{name} holds {build.decode()}"


def test_another_path_user_and_umask_give_the_same_images(elsewhere):
    ours = sorted(os.listdir(IMAGES))
    theirs = sorted(os.listdir(os.path.join(elsewhere, "images")))
    assert theirs == ours
    different = {}
    for name in ours:
        a, b = os.path.join(IMAGES, name), os.path.join(elsewhere, "images", name)
        if open(a, "rb").read() != open(b, "rb").read():
            different[name] = explain(a, b) if name.endswith(".tar") else ["other bytes"]
    assert not different, "\n".join(f"{name}: {line}" for name, lines in different.items() for line in lines)
