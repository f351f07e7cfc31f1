"""Real peers for the probe tests: Debian's PostgreSQL 15 server and a
small HTTP(S) server, both on free loopback ports."""
import base64
import glob
import http.server
import os
import shutil
import ssl
import subprocess
import tempfile
import threading

from conftest import free_port


def pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"PostgreSQL server not installed ({name}); run ci/bootstrap"
    return found[-1]


class Postgres:
    """A throw-away cluster owned by the postgres user, password auth."""

    PASSWORD = "pg-Secret-9f3"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cirr-pg-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        pw = os.path.join(self.dir, "pw")
        with open(pw, "w") as f:
            f.write(self.PASSWORD + "\n")
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(pw, "postgres", "postgres")
        self._as_pg(pg_bin("initdb"), "-D", self.data, "-U", "postgres", "-A", "scram-sha-256",
                    f"--pwfile={pw}")

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def _as_pg(self, *cmd):
        subprocess.run([shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *cmd], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)

    def start(self):
        self._as_pg(pg_bin("pg_ctl"), "-D", self.data, "-w", "-l", os.path.join(self.dir, "log"),
                    "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")

    def stop(self):
        self._as_pg(pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class HttpServer:
    """Answers GET /status/NNN with NNN, / with self.code; checks Basic auth
    when self.auth = (user, password) is set."""

    def __init__(self, tls=None):
        self.code, self.auth, self.requests = 200, None, 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if server.auth:
                    want = "Basic " + base64.b64encode(":".join(server.auth).encode()).decode()
                    if self.headers.get("Authorization") != want:
                        self.send_response(401)
                        self.send_header("WWW-Authenticate", 'Basic realm="test"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                self.send_response(server.code)
                # a length, so that TLS clients need not read to an abrupt close
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            # handshake in the handler thread: a client that rejects our
            # certificate must not take the accepting thread down
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_cert(folder):
    """A self-signed certificate for localhost (openssl CLI). A host name,
    not an IP: mbedTLS 2.28 does not match IP subjectAltNames."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key
