"""A TEST DOUBLE of Splunk's management REST API (port 8089), not Splunk:
the few endpoints cirr-splunk-setup calls (doc/splunk.md), with the status codes and JSON
bodies Splunk's REST API reference documents for them (restated in our own
words; `output_mode=json` answers), on a free loopback port, HTTPS with a
test certificate or plain HTTP.

Endpoints (every request needs HTTP Basic auth as the admin user, else 401
{"messages":[{"type":"WARN","text":"call not properly authenticated"}]}):
- GET  /services/data/indexes/NAME: 200 {"entry":[{"name":NAME,"content":{...}}]}
  or 404 {"messages":[{"type":"ERROR","text":"Could not find object id=NAME"}]}
- POST /services/data/indexes, name=NAME[&datatype=event]: 201 with the
  entry, 409 "An object with name=NAME already exists", 400 without a name
- GET/POST /servicesNS/admin/splunk_httpinput/data/inputs/http/http: HEC's
  global settings (content: disabled, enableSSL, port); POST updates the
  fields given, 200
- GET  /servicesNS/admin/splunk_httpinput/data/inputs/http/NAME: a token
  (content: token, index, indexes (a list), useACK, disabled), or 404
- POST /servicesNS/admin/splunk_httpinput/data/inputs/http, name=NAME&...:
  creates a token (201; 409 when NAME exists; a `token` value must be a GUID)
- POST .../data/inputs/http/NAME: updates a token's fields (200); a
  `token` value may not be changed there (400), as in Splunk
- DELETE .../data/inputs/http/NAME: 200, or 404
- GET  /servicesNS/nobody/system/configs/conf-props/STANZA: 200 or 404
- POST /servicesNS/nobody/system/configs/conf-props, name=STANZA&KEY=V...:
  201, 409 when it exists; POST .../conf-props/STANZA, KEY=V: 200

For tests: .state (indexes, hec, tokens, props: what is configured),
.requests [(method, path, {param: value})] in arrival order (the password
never recorded), .password (what Basic auth must carry for user admin),
.unseen (index names a GET misses once, as if another client created them
between the GET and the POST: the POST then answers 409), .starting (how
many requests still get 503 "Splunkd is starting", as while Splunk
starts), .failures {(method, path): (status, text)} (answers Splunk
should not give, with that message text, before anything is changed).
port: serve on this port (a test that starts the double late picks it
first, with tests.support.ports.free_port)."""
import base64
import http.server
import re
import ssl
import threading
import urllib.parse

from tests.support.http_double import answer_json
from tests.support.ports import free_port

HEC = "/servicesNS/admin/splunk_httpinput/data/inputs/http"
PROPS = "/servicesNS/nobody/system/configs/conf-props"
INDEXES = "/services/data/indexes"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def message(text, kind="ERROR"):
    return {"messages": [{"type": kind, "text": text}]}


def entry(name, content):
    return {"entry": [{"name": name, "content": content}]}


class SplunkMgmtDouble:
    """A fresh Splunk: only the built-in `main` index, HEC disabled with SSL
    on (Splunk's defaults), no token, the `_json` stanza without TRUNCATE.
    tls: (cert, key) to serve HTTPS (tests.support.http_double.make_cert)."""

    def __init__(self, password, tls=None, port=None):
        self.password, self.tls, self.requests = password, tls, []
        self.starting, self.failures = 0, {}
        self.state = {"indexes": {"main": {"datatype": "event"}},
                      "hec": {"disabled": "1", "enableSSL": "1", "port": "8088"},
                      "tokens": {}, "props": {"_json": {"KV_MODE": "json"}}}
        self.lock = threading.Lock()
        self.unseen = set()  # index names GET misses once: another client creates them meanwhile
        self._start(port)

    @property
    def url(self):
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _authorized(self, header):
        want = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        return header == want

    def handle(self, method, path, params, auth):
        """(status, JSON body) of one request."""
        with self.lock:
            self.requests.append((method, path, dict(params)))
            if self.starting > 0:
                self.starting -= 1
                return 503, message("Splunkd is starting", "WARN")
            if not self._authorized(auth):
                return 401, message("call not properly authenticated", "WARN")
            if (method, path) in self.failures:
                status, text = self.failures[(method, path)]
                return status, message(text)
            return self._route(method, path, params)

    def _route(self, method, path, params):
        if path == INDEXES and method == "POST":
            return self._create(self.state["indexes"], params, lambda p: {"datatype": p.get("datatype", "event")})
        if path.startswith(INDEXES + "/") and method == "GET":
            name = path[len(INDEXES) + 1:]
            if name in self.unseen:
                self.unseen.discard(name)
                self.state["indexes"][name] = {"datatype": "event"}
                return 404, message(f"Could not find object id={name}")
            return self._get(self.state["indexes"], name)
        if path == HEC + "/http":
            if method == "POST":
                self.state["hec"].update({k: v for k, v in params.items() if k in ("disabled", "enableSSL", "port")})
            return 200, entry("http", dict(self.state["hec"]))
        if path == HEC and method == "POST":
            return self._create_token(params)
        if path.startswith(HEC + "/"):
            return self._token(method, path[len(HEC) + 1:], params)
        if path == PROPS and method == "POST":
            return self._create(self.state["props"], params, lambda p: {k: v for k, v in p.items() if k != "name"})
        if path.startswith(PROPS + "/"):
            name = path[len(PROPS) + 1:]
            if method == "POST" and name in self.state["props"]:
                self.state["props"][name].update(params)
            return self._get(self.state["props"], name)
        return 404, message(f"Not found: {path}")

    @staticmethod
    def _get(table, name):
        if name not in table:
            return 404, message(f"Could not find object id={name}")
        return 200, entry(name, dict(table[name]))

    @staticmethod
    def _create(table, params, content):
        name = params.get("name", "")
        if not name:
            return 400, message("Missing argument: name")
        if name in table:
            return 409, message(f"An object with name={name} already exists")
        table[name] = content(params)
        return 201, entry(name, dict(table[name]))

    def _create_token(self, params):
        if params.get("token") and not GUID.match(params["token"]):
            return 400, message("Invalid token value")

        def content(p):
            indexes = [i for i in p.get("indexes", "").split(",") if i]
            return {"token": p.get("token") or "11111111-2222-3333-4444-555555555555", "index": p.get("index", ""),
                    "indexes": indexes, "useACK": p.get("useACK", "0"), "disabled": "0"}
        return self._create(self.state["tokens"], params, content)

    def _token(self, method, name, params):
        tokens = self.state["tokens"]
        if method == "DELETE":
            return (200, message(f"deleted {name}", "INFO")) if tokens.pop(name, None) else self._get(tokens, name)
        if method == "POST" and name in tokens:
            if "token" in params and params["token"] != tokens[name]["token"]:
                return 400, message("Argument \"token\" is not supported by this handler.")
            for k in ("index", "useACK", "disabled"):
                if k in params:
                    tokens[name][k] = params[k]
            if "indexes" in params:
                tokens[name]["indexes"] = [i for i in params["indexes"].split(",") if i]
        return self._get(tokens, name)

    def _start(self, port):
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self, method):
                url = urllib.parse.urlsplit(self.path)
                params = {k: v for k, v in urllib.parse.parse_qsl(url.query) if k != "output_mode"}
                n = int(self.headers.get("Content-Length") or 0)
                params.update(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
                status, body = double.handle(method, urllib.parse.unquote(url.path), params,
                                             self.headers.get("Authorization"))
                answer_json(self, status, body)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

            def log_message(self, *a):
                pass

        self.port = port or free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
