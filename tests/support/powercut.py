"""A file system that forgets, at a simulated power cut, whatever was not
made durable, under strict POSIX rules: a file's data survives as of its
last fsync (or fdatasync), a name survives as its folder was at that
folder's last fsync. What ext4 or XFS happen to keep beyond that is luck,
not a promise, so a program that survives this survives them.

The file system lives in memory in a FUSE process (Debian's
python3-llfuse, libfuse 2; needs /dev/fuse and root). At a cut the process
stops and writes only the durable tree to an image folder, hard links
kept; mounting again serves that image (all of it durable, as after a
reboot). Regular files, folders and hard links; no symbolic links.

    fs = PowerCutFS(tmp_path)   # mounted at fs.mount, empty
    ...                         # run programs on it; kill -9 them
    fs.cut()                    # power lost and back: only durable state left
    fs.stop()                   # unmounted (also after a failed test)

Run as a program, `python3 -m tests.support.powercut MOUNT IMAGE` serves
IMAGE at MOUNT until SIGTERM, then writes the durable tree back to IMAGE."""
import errno
import os
import shutil
import stat
import subprocess
import sys
import time

from tests.support.paths import REPO
from tests.support.processes import Process


class PowerCutFS:
    """The test's side: mounts, cuts, unmounts. The FUSE process's log is
    tmp/powercut-N.log, N counting the cuts."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.mount = tmp / "powercut"
        self.image = tmp / "powercut-image"
        self.mount.mkdir()
        self.image.mkdir()
        self.cuts = 0
        self.server = None
        self._start()

    def _start(self):
        env = dict(os.environ, PYTHONPATH=REPO)
        self.server = Process([sys.executable, "-m", "tests.support.powercut", str(self.mount), str(self.image)],
                              env, str(self.tmp / f"powercut-{self.cuts}.log"))
        deadline = time.monotonic() + 15
        while not os.path.ismount(self.mount):
            if self.server.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the power-cut file system did not mount: {self.server.text()}")
            time.sleep(0.05)

    def cut(self):
        """Power lost (every process using the mount must be dead by now)
        and back: the mount then holds only what was durable."""
        self.stop()
        self.cuts += 1
        self._start()

    def stop(self):
        """Unmounted, the durable tree written to the image."""
        if self.server:
            self.server.stop()
        if os.path.ismount(self.mount):
            subprocess.run(["umount", "-l", str(self.mount)], check=False)
        assert not self.server or self.server.proc.returncode == 0, self.server.text()


# ---- the FUSE process -------------------------------------------------------


class Node:
    """A file or folder: what processes see now, and what a cut keeps."""

    def __init__(self, ino, mode):
        self.ino, self.mode = ino, mode
        self.uid = self.gid = 0
        self.nlink = 0
        self.mtime_ns = time.time_ns()
        self.lookups = 0
        if stat.S_ISDIR(mode):
            self.entries, self.durable_entries = {}, {}
        else:
            self.data, self.durable_data = bytearray(), b""

    @property
    def is_dir(self):
        return stat.S_ISDIR(self.mode)


def serve(mount, image):
    try:
        import llfuse
    except ImportError:
        sys.exit("powercut: no llfuse module: install Debian's python3-llfuse (ci/bootstrap does)")

    class Operations(llfuse.Operations):
        def __init__(self):
            super().__init__()
            self.nodes = {}
            self.handles, self.next_fh = {}, 1
            self.next_ino = llfuse.ROOT_INODE
            self.root = self._new(stat.S_IFDIR | 0o755)
            self.root.nlink = 2
            self._load(image, self.root, {})

        # -- the model --------------------------------------------------
        def _new(self, mode):
            ino, self.next_ino = self.next_ino, self.next_ino + 1
            node = self.nodes[ino] = Node(ino, mode)
            return node

        def _load(self, folder, node, by_inode):
            """The image as the state after a reboot: all of it durable."""
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                st = os.lstat(path)
                child = by_inode.get(st.st_ino)
                if child is None:
                    child = by_inode[st.st_ino] = self._new(stat.S_IFMT(st.st_mode) | stat.S_IMODE(st.st_mode))
                    if child.is_dir:
                        self._load(path, child, by_inode)
                    else:
                        with open(path, "rb") as f:
                            child.data = bytearray(f.read())
                        child.durable_data = bytes(child.data)
                child.nlink += 1
                node.entries[name.encode()] = node.durable_entries[name.encode()] = child.ino

        def dump(self, folder):
            """Write what survives a cut: the durable names from the root,
            each file's durable data."""
            new = folder + ".new"
            shutil.rmtree(new, ignore_errors=True)
            os.mkdir(new)
            self._dump(self.root, new, {})
            shutil.rmtree(folder)
            os.rename(new, folder)

        def _dump(self, node, path, written):
            for name, ino in node.durable_entries.items():
                child, target = self.nodes[ino], os.path.join(path, os.fsdecode(name))
                if child.is_dir:
                    os.mkdir(target, stat.S_IMODE(child.mode))
                    self._dump(child, target, written)
                elif ino in written:
                    os.link(written[ino], target)
                else:
                    with open(target, "wb") as f:
                        f.write(child.durable_data)
                    os.chmod(target, stat.S_IMODE(child.mode))
                    written[ino] = target

        def _node(self, ino):
            try:
                return self.nodes[ino]
            except KeyError:
                raise llfuse.FUSEError(errno.ENOENT)

        def _child(self, parent, name):
            ino = self._node(parent).entries.get(name)
            if ino is None:
                raise llfuse.FUSEError(errno.ENOENT)
            return self.nodes[ino]

        def _attr(self, node):
            a = llfuse.EntryAttributes()
            a.st_ino, a.st_mode, a.st_nlink = node.ino, node.mode, node.nlink
            a.st_uid, a.st_gid = node.uid, node.gid
            a.st_size = 0 if node.is_dir else len(node.data)
            a.st_blksize, a.st_blocks = 4096, (a.st_size + 511) // 512
            a.st_atime_ns = a.st_mtime_ns = a.st_ctime_ns = node.mtime_ns
            a.attr_timeout = a.entry_timeout = 0
            return a

        def _link(self, parent, name, node):
            p = self._node(parent)
            if name in p.entries:
                raise llfuse.FUSEError(errno.EEXIST)
            p.entries[name] = node.ino
            node.nlink += 1
            node.lookups += 1
            p.mtime_ns = time.time_ns()
            return self._attr(node)

        def _unlink(self, parent, name):
            p = self._node(parent)
            node = self._child(parent, name)
            del p.entries[name]
            node.nlink -= 1
            p.mtime_ns = time.time_ns()

        # -- names ------------------------------------------------------
        def lookup(self, parent, name, ctx=None):
            if name == b".":
                node = self._node(parent)
            elif name == b"..":
                node = self.root  # only the kernel asks, for NFS export
            else:
                node = self._child(parent, name)
            node.lookups += 1
            return self._attr(node)

        def forget(self, inode_list):
            for ino, n in inode_list:
                if ino in self.nodes:
                    self.nodes[ino].lookups -= n

        def getattr(self, inode, ctx=None):
            return self._attr(self._node(inode))

        def setattr(self, inode, attr, fields, fh, ctx):
            node = self._node(inode)
            if fields.update_size:
                del node.data[attr.st_size:]
                node.data.extend(b"\0" * (attr.st_size - len(node.data)))
            if fields.update_mode:
                node.mode = stat.S_IFMT(node.mode) | stat.S_IMODE(attr.st_mode)
            if fields.update_uid:
                node.uid = attr.st_uid
            if fields.update_gid:
                node.gid = attr.st_gid
            if fields.update_mtime:
                node.mtime_ns = attr.st_mtime_ns
            return self._attr(node)

        def mkdir(self, parent, name, mode, ctx):
            node = self._new(stat.S_IFDIR | (mode & 0o7777))
            node.nlink = 1  # its "." ; the parent's entry adds the other
            self._node(parent).nlink += 1
            return self._link(parent, name, node)

        def create(self, parent, name, mode, flags, ctx):
            node = self._new(stat.S_IFREG | (mode & 0o7777))
            attr = self._link(parent, name, node)
            return self._open(node), attr

        def link(self, inode, new_parent, new_name, ctx):
            node = self._node(inode)
            if node.is_dir:
                raise llfuse.FUSEError(errno.EPERM)
            return self._link(new_parent, new_name, node)

        def unlink(self, parent, name, ctx):
            if self._child(parent, name).is_dir:
                raise llfuse.FUSEError(errno.EISDIR)
            self._unlink(parent, name)

        def rmdir(self, parent, name, ctx):
            node = self._child(parent, name)
            if not node.is_dir:
                raise llfuse.FUSEError(errno.ENOTDIR)
            if node.entries:
                raise llfuse.FUSEError(errno.ENOTEMPTY)
            self._unlink(parent, name)
            self._node(parent).nlink -= 1

        def rename(self, old_parent, old_name, new_parent, new_name, ctx):
            node = self._child(old_parent, old_name)
            target = self._node(new_parent).entries.get(new_name)
            if target == node.ino:
                return
            if target is not None:
                if self.nodes[target].is_dir and self.nodes[target].entries:
                    raise llfuse.FUSEError(errno.ENOTEMPTY)
                self._unlink(new_parent, new_name)
            self._node(new_parent).entries[new_name] = node.ino
            del self._node(old_parent).entries[old_name]

        def symlink(self, parent, name, target, ctx):
            raise llfuse.FUSEError(errno.EPERM)

        def mknod(self, parent, name, mode, rdev, ctx):
            raise llfuse.FUSEError(errno.EPERM)

        # -- contents ---------------------------------------------------
        def _open(self, node):
            fh, self.next_fh = self.next_fh, self.next_fh + 1
            self.handles[fh] = node
            return fh

        def open(self, inode, flags, ctx):
            node = self._node(inode)
            if flags & os.O_TRUNC:
                node.data.clear()
            return self._open(node)

        def opendir(self, inode, ctx):
            node = self._node(inode)
            return self._open(node)

        def readdir(self, fh, off):
            node = self.handles[fh]
            names = sorted(node.entries.items())
            for i, (name, ino) in enumerate(names[off:], off):
                yield name, self._attr(self.nodes[ino]), i + 1

        def read(self, fh, off, size):
            return bytes(self.handles[fh].data[off:off + size])

        def write(self, fh, off, buf):
            data = self.handles[fh].data
            if off > len(data):
                data.extend(b"\0" * (off - len(data)))
            data[off:off + len(buf)] = buf
            return len(buf)

        def fsync(self, fh, datasync):
            node = self.handles[fh]
            node.durable_data = bytes(node.data)

        def fsyncdir(self, fh, datasync):
            node = self.handles[fh]
            node.durable_entries = dict(node.entries)

        def release(self, fh):
            del self.handles[fh]

        def releasedir(self, fh):
            del self.handles[fh]

        def flush(self, fh):
            pass

        def access(self, inode, mode, ctx):
            return True

        def statfs(self, ctx):
            s = llfuse.StatvfsData()
            s.f_bsize = s.f_frsize = 4096
            s.f_blocks = s.f_bfree = s.f_bavail = 1 << 20  # 4 GiB, all free
            s.f_files = s.f_ffree = s.f_favail = 1 << 20
            s.f_namemax = 255
            return s

    ops = Operations()
    llfuse.init(ops, mount, ["fsname=powercut", "subtype=powercut"])
    try:
        llfuse.main(workers=1)  # until SIGTERM (or an unmount)
    finally:
        llfuse.close(unmount=True)
    ops.dump(image)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
