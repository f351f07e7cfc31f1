"""A reverse proxy that serves a backend under a path prefix, as Traefik
does with a strip-prefix middleware: GET or POST /PREFIX/x is the same
at /x of the backend. For pages that must work behind one (relative URLs only)."""
import http.server
import threading
import urllib.error
import urllib.request

from tests.support.ports import free_port


class PrefixProxy:
    """Serves http://127.0.0.1:.port/<prefix>/... from the backend's /...;
    anything outside the prefix is 404, as it is behind Traefik."""

    def __init__(self, prefix, backend_port):
        self.port = free_port()
        prefix = "/" + prefix.strip("/")

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.forward(None)

            def do_POST(self):
                self.forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def forward(self, data):
                if self.path != prefix and not self.path.startswith(prefix + "/"):
                    self.send_error(404)
                    return
                url = f"http://127.0.0.1:{backend_port}{self.path[len(prefix):] or '/'}"
                headers = {"Content-Type": self.headers.get("Content-Type", "")} if data is not None else {}
                try:
                    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers),
                                                timeout=60) as r:
                        status, body, kind = r.status, r.read(), r.headers.get("Content-Type")
                except urllib.error.HTTPError as e:
                    status, body, kind = e.code, e.read(), e.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
