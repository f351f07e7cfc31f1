"""A TEST DOUBLE of a container registry (Registry HTTP API v2), on
loopback, for ci/pin-digests: no real registry is reachable here.

It does what the tool relies on from Docker Hub: a 401 with a Bearer
challenge naming its token service, anonymous pull tokens scoped to one
repository, manifests by tag with Docker-Content-Digest. It can be told to
move a tag or to lie about a digest."""
import hashlib
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


def manifest_for(repo, tag, generation=0):
    """A small, distinct OCI index per repo:tag (and per generation, so a
    moved tag has another digest)."""
    body = {"schemaVersion": 2, "mediaType": INDEX_TYPE,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "digest": "sha256:" + hashlib.sha256(f"{repo}:{tag}:{generation}".encode()).hexdigest(),
                           "size": 1234, "platform": {"architecture": "amd64", "os": "linux"}}]}
    return json.dumps(body, sort_keys=True).encode()


class RegistryDouble:
    """Serves manifests for the given 'repo:tag' names until stop()."""

    def __init__(self, names):
        self.manifests = {n: manifest_for(*n.rsplit(":", 1)) for n in names}
        self.lies = set()
        self.requests = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                double.requests.append((self.path, self.headers.get("Accept", ""),
                                        self.headers.get("Authorization", "")))
                url = urllib.parse.urlparse(self.path)
                if url.path == "/token":
                    scope = urllib.parse.parse_qs(url.query).get("scope", [""])[0]
                    return self.answer(200, json.dumps({"token": "anon " + scope}).encode(), "application/json")
                parts = url.path.split("/manifests/")
                if len(parts) != 2 or not parts[0].startswith("/v2/"):
                    return self.answer(404, b"{}", "application/json")
                repo, tag = parts[0][4:], parts[1]
                if self.headers.get("Authorization") != f"Bearer anon repository:{repo}:pull":
                    host = self.headers.get("Host")
                    challenge = (f'Bearer realm="http://{host}/token",service="registry.double",'
                                 f'scope="repository:{repo}:pull"')
                    return self.answer(401, b"{}", "application/json", {"WWW-Authenticate": challenge})
                body = double.manifests.get(f"{repo}:{tag}")
                if body is None or INDEX_TYPE not in self.headers.get("Accept", ""):
                    return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', "application/json")
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                if f"{repo}:{tag}" in double.lies:
                    digest = "sha256:" + "0" * 64
                self.answer(200, body, INDEX_TYPE, {"Docker-Content-Digest": digest})

            def answer(self, code, body, ctype, extra=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def digest(self, name):
        return "sha256:" + hashlib.sha256(self.manifests[name]).hexdigest()

    def move_tag(self, name):
        """Points the tag at another manifest, as a re-pushed tag would."""
        self.manifests[name] = manifest_for(*name.rsplit(":", 1), generation=1)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
