"""A TEST DOUBLE of Splunk's HTTP Event Collector (HEC), not Splunk: the
protocol a client sees, on a free loopback port, for the watcher's tests,
its benchmark and `make demo`.

What it speaks (Splunk's HEC documentation, restated in our own words):
- POST /services/collector/event (and /services/collector): a body of one
  or more JSON event envelopes, concatenated (whitespace between them
  allowed), each with an "event" and optional "time", "host", "source",
  "sourcetype", "index", "fields"; header `Authorization: Splunk <token>`.
- Answers are JSON {"text": ..., "code": ...}: 200 code 0 Success; 401 code
  2 (no token) or 3 (not the Splunk scheme); 403 code 1 (token disabled) or
  4 (invalid token); 400 code 5 (no data), 6 (invalid data format), 7
  (incorrect index), 10 (data channel missing), 11 (invalid data channel),
  12 (event field required), 13 (event field blank), 14 (ack disabled);
  503 code 9 (server busy).
- Indexer acknowledgement, per token: a request must name a channel (a
  GUID, header X-Splunk-Request-Channel or ?channel=), the answer carries
  an "ackId" counted per channel, and POST /services/collector/ack with
  {"acks": [ids]} answers {"acks": {"id": true|false}}.
- GET /services/collector/health: 200 code 17 when healthy, 503 code 18
  when busy.

For tests: .events (every accepted envelope, in arrival order, with
"_received" wall time added), .requests (count by path), injectable
failures (.busy_until, .fail_next), delays (.delay) and late acks
(.ack_delay); tokens can be revoked at run time."""
import http.server
import json
import re
import ssl
import threading
import time
import urllib.parse

from tests.support.http_double import answer_json
from tests.support.ports import free_port

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# (HTTP status, text, code) of each answer the double gives
SUCCESS = (200, "Success", 0)
TOKEN_DISABLED = (403, "Token disabled", 1)
TOKEN_REQUIRED = (401, "Token is required", 2)
INVALID_AUTHORIZATION = (401, "Invalid authorization", 3)
INVALID_TOKEN = (403, "Invalid token", 4)
NO_DATA = (400, "No data", 5)
INVALID_FORMAT = (400, "Invalid data format", 6)
INCORRECT_INDEX = (400, "Incorrect index", 7)
SERVER_BUSY = (503, "Server is busy", 9)
CHANNEL_MISSING = (400, "Data channel is missing", 10)
INVALID_CHANNEL = (400, "Invalid data channel", 11)
EVENT_REQUIRED = (400, "Event field is required", 12)
EVENT_BLANK = (400, "Event field cannot be blank", 13)
ACK_DISABLED = (400, "ACK is disabled", 14)
HEALTHY = (200, "HEC is healthy", 17)
UNHEALTHY = (503, "HEC is unhealthy, queues are full", 18)


class HecError(Exception):
    def __init__(self, answer):
        super().__init__(answer[1])
        self.answer = answer


def parse_envelopes(body):
    """The concatenated JSON objects of a request body; HecError when the
    body is empty or not a sequence of JSON objects."""
    text = body.decode("utf-8", errors="strict") if body else ""
    decoder, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            break
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except ValueError:
            raise HecError(INVALID_FORMAT)
        if not isinstance(obj, dict):
            raise HecError(INVALID_FORMAT)
        out.append(obj)
    if not out:
        raise HecError(NO_DATA)
    return out


class Token:
    """indexes: the allowed indexes (None: any); ack: indexer acknowledgement on."""

    def __init__(self, indexes=None, ack=False, enabled=True):
        self.indexes, self.ack, self.enabled = indexes, ack, enabled


class HecDouble:
    """tokens: {token: Token}; tls: (cert, key) to serve HTTPS (see
    tests.support.http_double.make_cert). Started on construction."""

    def __init__(self, tokens, default_index="main", tls=None):
        self.tokens = dict(tokens)
        self.default_index = default_index
        self.lock = threading.Lock()
        self.events, self.rejected, self.requests = [], [], {}
        self.busy_until = 0.0      # monotonic time until which every POST gets 503
        self.fail_next = 0         # so many next event POSTs get 503
        self.delay = 0.0           # seconds to wait before answering a POST
        self.ack_delay = 0.0       # seconds before an ackId turns true
        self.channels = {}         # channel -> {"next": n, "pending": {id: ready_at}}
        self.tls = tls
        self._start()

    # ---- for the tests -------------------------------------------------
    def url(self):
        """http://127.0.0.1:PORT, or https://localhost:PORT (the certificate's name)."""
        return f"https://localhost:{self.port}" if self.tls else f"http://127.0.0.1:{self.port}"

    def revoke(self, token):
        with self.lock:
            self.tokens.pop(token, None)

    def busy_for(self, seconds):
        self.busy_until = time.monotonic() + seconds

    def by_index(self, index):
        with self.lock:
            return [e for e in self.events if e.get("index", self.default_index) == index]

    def count(self):
        with self.lock:
            return len(self.events)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- the protocol --------------------------------------------------
    def _authorize(self, headers):
        value = headers.get("Authorization")
        if value is None:
            raise HecError(TOKEN_REQUIRED)
        scheme, _, token = value.partition(" ")
        if scheme != "Splunk" or not token.strip():
            raise HecError(INVALID_AUTHORIZATION)
        with self.lock:
            t = self.tokens.get(token.strip())
        if t is None:
            raise HecError(INVALID_TOKEN)
        if not t.enabled:
            raise HecError(TOKEN_DISABLED)
        return t

    def _channel(self, headers, query, token, required):
        channel = headers.get("X-Splunk-Request-Channel") or query.get("channel", [None])[0]
        if channel is None:
            if required:
                raise HecError(CHANNEL_MISSING)
            return None
        if not GUID.match(channel):
            raise HecError(INVALID_CHANNEL)
        return channel

    def _check_events(self, envelopes, token):
        for e in envelopes:
            if "event" not in e:
                raise HecError(EVENT_REQUIRED)
            if e["event"] in ("", None, {}, []):
                raise HecError(EVENT_BLANK)
            index = e.get("index", self.default_index)
            if token.indexes is not None and index not in token.indexes:
                raise HecError(INCORRECT_INDEX)

    def _busy(self):
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
        return time.monotonic() < self.busy_until

    def post_event(self, headers, query, body):
        """(status, answer dict) for a POST of events."""
        token = self._authorize(headers)
        channel = self._channel(headers, query, token, token.ack)
        if self._busy():
            raise HecError(SERVER_BUSY)
        envelopes = parse_envelopes(body)
        self._check_events(envelopes, token)
        now = time.time()
        with self.lock:
            for e in envelopes:
                e["_received"] = now
                self.events.append(e)
            answer = {"text": "Success", "code": 0}
            if token.ack:
                ch = self.channels.setdefault(channel, {"next": 0, "pending": {}})
                answer["ackId"] = ch["next"]
                ch["pending"][ch["next"]] = time.monotonic() + self.ack_delay
                ch["next"] += 1
        return 200, answer

    def post_ack(self, headers, query, body):
        token = self._authorize(headers)
        if not token.ack:
            raise HecError(ACK_DISABLED)
        channel = self._channel(headers, query, token, True)
        try:
            ids = json.loads(body)["acks"]
            ids = [int(i) for i in ids]
        except (ValueError, KeyError, TypeError):
            raise HecError(INVALID_FORMAT)
        now = time.monotonic()
        with self.lock:
            pending = self.channels.get(channel, {"pending": {}})["pending"]
            acks = {}
            for i in ids:
                ready = i in pending and pending[i] <= now
                acks[str(i)] = ready
                if ready:
                    del pending[i]  # Splunk answers true once for an ackId
        return 200, {"acks": acks}

    def health(self):
        busy = time.monotonic() < self.busy_until
        status, text, code = UNHEALTHY if busy else HEALTHY
        return status, {"text": text, "code": code}

    def _start(self):
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Splunk
            # http.server writes an answer's headers and its body apart: with
            # Nagle's algorithm the body waits for the client's delayed ACK of
            # the headers, 40 ms per request on a kept-alive connection, which
            # Splunk (one write an answer) does not cost. Not faster than Splunk.
            disable_nagle_algorithm = True

            def _answer(self, status, obj):
                answer_json(self, status, obj, "application/json; charset=UTF-8")

            def _count(self, path):
                with double.lock:
                    double.requests[path] = double.requests.get(path, 0) + 1

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                self._count(path)
                if path.rstrip("/") == "/services/collector/health":
                    self._answer(*double.health())
                else:
                    self._answer(404, {"text": "The requested URL was not found on this server.", "code": 404})

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                path, query = url.path.rstrip("/"), urllib.parse.parse_qs(url.query)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._count(path)
                if double.delay:
                    time.sleep(double.delay)  # injected slowness of the collector
                try:
                    if path in ("/services/collector/event", "/services/collector",
                                "/services/collector/event/1.0"):
                        self._answer(*double.post_event(self.headers, query, body))
                    elif path == "/services/collector/ack":
                        self._answer(*double.post_ack(self.headers, query, body))
                    else:
                        self._answer(404, {"text": "The requested URL was not found on this server.", "code": 404})
                except HecError as e:
                    status, text, code = e.answer
                    with double.lock:
                        double.rejected.append((path, code))
                    self._answer(status, {"text": text, "code": code})

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            # handshake in the handler's thread: a client refusing the certificate
            # must not stop the accepting one
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


# ---- serving beyond loopback, recording, and the command line ----------
# `make demo` and the system test point the swarm's containers at a double on
# the host (no Splunk image is obtainable here): a second server with the
# same handler, on an address the containers reach.

def serve(double, host, port):
    """Also serves double on host:port (0: a free one); the server (.server_address)."""
    server = http.server.ThreadingHTTPServer((host, port), double.httpd.RequestHandlerClass)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def record_new(double, out, written):
    """Appends the events accepted since the first `written` to out, one JSON
    object a line; the new count."""
    with double.lock:
        new = double.events[written:]
    for e in new:
        out.write(json.dumps(e, sort_keys=True) + "\n")
    out.flush()
    return written + len(new)


def read_record(path):
    """The events a --record file holds (a line being written is left out)."""
    events = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    events.append(json.loads(line))
    except FileNotFoundError:
        pass
    return events


def main(argv=None):
    import argparse
    import signal
    import sys
    p = argparse.ArgumentParser(prog="python3 -m tests.support.hec_double",
                                description="A TEST DOUBLE of Splunk's HTTP Event Collector (not Splunk).")
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every address)")
    p.add_argument("--token-file", required=True, help="file holding the one token accepted")
    p.add_argument("--indexes", help="comma list of the indexes the token may write (default: any)")
    p.add_argument("--record", required=True, help="file the accepted events are appended to, one JSON a line")
    a = p.parse_args(argv)
    try:
        token = open(a.token_file).read().strip()
    except OSError as e:
        sys.exit(f"hec_double: --token-file: {e.strerror}: {a.token_file}")
    if not token:
        sys.exit(f"hec_double: --token-file: {a.token_file} is empty")
    indexes = set(a.indexes.split(",")) if a.indexes else None
    double = HecDouble({token: Token(indexes=indexes)})
    try:
        serve(double, a.host, a.port)
    except OSError as e:
        sys.exit(f"hec_double: cannot listen on {a.host}:{a.port}: {e.strerror}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"hec_double: a TEST DOUBLE of Splunk's HEC (not Splunk) on {a.host}:{a.port}, "
          f"recording accepted events in {a.record}", flush=True)
    written = 0
    with open(a.record, "a") as out:
        while not stop.wait(0.2):
            written = record_new(double, out, written)
        record_new(double, out, written)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
