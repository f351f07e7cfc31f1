"""A TEST DOUBLE of an HTTP(S) service's health endpoint, for cirr-init's
http and https probes: on a free loopback port, with a status code and
Basic auth the test sets, and a self-signed certificate for HTTPS."""
import base64
import http.server
import json
import os
import ssl
import subprocess
import threading

from tests.support.ports import free_port


class HttpDouble:
    """Answers every GET with self.code; checks Basic auth when self.auth
    = (user, password) is set; counts requests. tls: (cert, key) for HTTPS."""

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


def answer_json(handler, status, obj, content_type="application/json"):
    """Send obj as a JSON answer from a BaseHTTPRequestHandler (the
    protocol doubles' common reply)."""
    data = json.dumps(obj).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
