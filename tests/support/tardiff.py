"""Where two image archives differ: which member of the archive, and when
that member is a layer (a tar, gzipped or not), which files inside it and
in what (content, mode, owner, time, link, type). Used to explain a failed
byte-for-byte comparison, one line per difference."""
import gzip
import hashlib
import io
import json
import tarfile


def _members(data):
    """name -> (type, mode, uid, gid, mtime, linkname, sha256 of content)."""
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        out = {}
        for m in t.getmembers():
            f = t.extractfile(m) if m.isfile() else None
            digest = hashlib.sha256(f.read()).hexdigest() if f else ""
            out[m.name] = (m.type, oct(m.mode), m.uid, m.gid, m.mtime, m.linkname, digest)
        return out


def _as_tar(data):
    """The bytes of a tar, ungzipped when gzipped; None when not a tar."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        _members(data)
        return data
    except tarfile.TarError:
        return None


FIELDS = ("type", "mode", "uid", "gid", "mtime", "link", "content")


def _diff_members(a, b, where):
    lines = []
    ma, mb = _members(a), _members(b)
    for name in sorted(set(ma) | set(mb)):
        if name not in ma or name not in mb:
            lines.append(f"{where}: {name} only in the {'second' if name in mb else 'first'} build")
        elif ma[name] != mb[name]:
            what = [f"{f} {x!r} vs {y!r}" if f != "content" else "content"
                    for f, x, y in zip(FIELDS, ma[name], mb[name]) if x != y]
            lines.append(f"{where}: {name} differs: {', '.join(what)}")
    return lines


def explain(path_a, path_b):
    """Lines saying where the archives at path_a and path_b differ."""
    a, b = open(path_a, "rb").read(), open(path_b, "rb").read()
    if a == b:
        return []
    ta, tb = _as_tar(a), _as_tar(b)
    if ta is None or tb is None:
        return [f"{path_a}: not a tar archive, and not the same bytes"]
    lines = []
    with tarfile.open(fileobj=io.BytesIO(ta)) as xa, tarfile.open(fileobj=io.BytesIO(tb)) as xb:
        for name_a, name_b, what in _pairs(xa, xb):
            da, db = _read(xa, name_a), _read(xb, name_b)
            if da is None or db is None:
                lines.append(f"{what}: only in the {'second' if da is None else 'first'} build")
            elif da != db:
                la, lb = _as_tar(da), _as_tar(db)
                if la is not None and lb is not None:
                    lines += _diff_members(la, lb, what) or [f"{what}: same files, other bytes"]
                else:
                    lines.append(f"{what} differs{_json_keys(da, db)}")
    return lines or ["the archives hold the same members, in another order or encoding"]


def _read(t, name):
    try:
        f = t.extractfile(name)
    except KeyError:
        return None
    return f.read() if f else b""


def _pairs(xa, xb):
    """(member of a, member of b, what to call it): a docker-archive's
    config and layers paired by their place in manifest.json (their names
    are their digests, so differing ones never share a name), then every
    other member by name."""
    pairs, paired = [], set()
    ma, mb = _read(xa, "manifest.json"), _read(xb, "manifest.json")
    if ma and mb:
        for ia, ib in zip(json.loads(ma), json.loads(mb)):
            tag = (ia.get("RepoTags") or ["image"])[0]
            pairs.append((ia["Config"], ib["Config"], f"{tag} config"))
            for k, (la, lb) in enumerate(zip(ia["Layers"], ib["Layers"])):
                pairs.append((la, lb, f"{tag} layer {k + 1} of {len(ia['Layers'])}"))
        paired = {p for a, b, _ in pairs for p in (a, b)}
    names = sorted({m.name for m in xa.getmembers()} | {m.name for m in xb.getmembers()})
    pairs += [(n, n, n) for n in names if n not in paired and not n.startswith("blobs/")]
    return pairs


def _json_keys(a, b):
    """For two JSON documents: ': KEY a vs b' for each differing value, by path."""
    try:
        ja, jb = json.loads(a), json.loads(b)
    except ValueError:
        return ""
    out = []

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k), y.get(k), f"{path}.{k}" if path else k)
        elif x != y:
            out.append(f"{path or '(document)'} {x!r} vs {y!r}")
    walk(ja, jb, "")
    return (": " + "; ".join(out[:5])) if out else ""
