"""archive: one image as a tar that holds both a docker-archive
(manifest.json, what `docker load` reads) and an OCI image layout
(oci-layout, index.json, blobs/sha256/...). Both name the same blobs: gzip
layers and a JSON config whose diff_ids are the uncompressed layer digests."""
import hashlib
import io
import json
import tarfile

from layer import gzip_bytes


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def build(layers, config, repo_tags, mtime):
    """layers: uncompressed layer tars, base first. config: the image config
    without rootfs. Returns (archive bytes, config digest, manifest digest)."""
    blobs = {}
    gz_layers = []
    for tar in layers:
        gz = gzip_bytes(tar)
        blobs[sha256(gz)] = gz
        gz_layers.append((sha256(tar), sha256(gz), len(gz)))
    config = dict(config, rootfs={"type": "layers",
                                  "diff_ids": [f"sha256:{d}" for d, _, _ in gz_layers]})
    cfg = canonical(config)
    cfg_digest = sha256(cfg)
    blobs[cfg_digest] = cfg
    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{cfg_digest}", "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{g}", "size": n} for _, g, n in gz_layers],
    })
    man_digest = sha256(manifest)
    blobs[man_digest] = manifest
    index = canonical({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": f"sha256:{man_digest}", "size": len(manifest),
                       "annotations": {"io.containerd.image.name": repo_tags[0],
                                       "org.opencontainers.image.ref.name": repo_tags[0].split(":")[-1]}}],
    })
    docker_manifest = canonical([{
        "Config": f"blobs/sha256/{cfg_digest}",
        "RepoTags": repo_tags,
        "Layers": [f"blobs/sha256/{g}" for _, g, _ in gz_layers],
    }])
    files = {"oci-layout": canonical({"imageLayoutVersion": "1.0.0"}),
             "index.json": index, "manifest.json": docker_manifest}
    for digest, data in blobs.items():
        files[f"blobs/sha256/{digest}"] = data
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, mtime
            tar.addfile(info, io.BytesIO(files[name]))
    return out.getvalue(), cfg_digest, man_digest
