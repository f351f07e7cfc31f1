"""layer: a Tree as a deterministic tar (sorted entries, one mtime,
numeric ids, no user or group names, no atime/ctime) and its gzip form
(gzip -n: no name, no timestamp)."""
import gzip
import io
import tarfile


def tar_bytes(tree, mtime):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(tree.entries):
            e = tree.entries[path]
            info = tarfile.TarInfo(path)
            info.mtime, info.uid, info.gid = mtime, e.uid, e.gid
            info.uname = info.gname = ""
            info.mode = e.mode
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif e.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, e.target
                tar.addfile(info)
            else:
                data = e.data if e.data is not None else open(e.src, "rb").read()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=9, mtime=0)
