"""tree: the file tree of one image layer, built in memory from host files,
project files and literal contents, then written as a deterministic tar.

Paths are image paths without the leading slash. Debian 12 is usrmerged,
so host paths under /bin, /sbin, /lib and /lib64 are stored under usr/ and
the layer carries the same top-level symlinks Debian has."""
import os
import stat

USRMERGE = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


def image_path(path):
    """Canonical image path for a host or image path: no leading slash,
    usrmerged."""
    p = os.path.normpath(path).lstrip("/")
    top, _, rest = p.partition("/")
    if top in USRMERGE:
        p = USRMERGE[top] + ("/" + rest if rest else "")
    return p


class Entry:
    __slots__ = ("kind", "mode", "uid", "gid", "data", "src", "target")

    def __init__(self, kind, mode, uid=0, gid=0, data=None, src=None, target=None):
        self.kind, self.mode, self.uid, self.gid = kind, mode, uid, gid
        self.data, self.src, self.target = data, src, target


class Tree:
    def __init__(self):
        self.entries = {}

    def _parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.entries[d] = Entry("dir", 0o755)

    def add_dir(self, path, mode=0o755, uid=0, gid=0):
        path = image_path(path)
        self._parents(path)
        self.entries[path] = Entry("dir", mode, uid, gid)

    def add_bytes(self, path, data, mode=0o644, uid=0, gid=0):
        path = image_path(path)
        self._parents(path)
        self.entries[path] = Entry("file", mode, uid, gid, data=data)

    def add_host_file(self, path, host, mode=None):
        """Copy a host file's contents (symlinks followed)."""
        path = image_path(path)
        st = os.stat(host)
        self._parents(path)
        self.entries[path] = Entry("file", stat.S_IMODE(st.st_mode) if mode is None else mode,
                                   src=os.path.realpath(host))

    def add_symlink(self, path, target):
        path = image_path(path)
        self._parents(path)
        self.entries[path] = Entry("symlink", 0o777, target=target)

    def add_host_tree(self, host_dir, image_dir=None, skip=lambda path: False):
        """Copy a host directory recursively, keeping symlinks; host paths
        for which skip(path) is true are left out."""
        image_dir = image_dir or host_dir
        for root, dirs, files in os.walk(host_dir):
            dirs[:] = sorted(d for d in dirs if not skip(os.path.join(root, d)))
            rel = os.path.relpath(root, host_dir)
            base = image_dir if rel == "." else os.path.join(image_dir, rel)
            self.add_dir(base)
            for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                host = os.path.join(root, name)
                if skip(host):
                    continue
                if os.path.islink(host):
                    self.add_symlink(os.path.join(base, name), os.readlink(host))
                else:
                    self.add_host_file(os.path.join(base, name), host)

    def host_files(self):
        return sorted(e.src for e in self.entries.values() if e.src)
