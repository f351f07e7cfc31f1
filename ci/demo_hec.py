"""The HEC TEST DOUBLE (tests/support/hec_double.py, not Splunk) served over
HTTPS beyond loopback, for the SIREN demo and system test: the SIREN
watchers speak only HTTPS to Splunk and verify its certificate against the
CA of the secret splunk_ca.

    python3 -m ci.demo_hec --port P --token-file F --record R --tls-cert C --tls-key K

runs it as the demo's background process (stops on SIGTERM), appending
every accepted event to R as tests.support.hec_double's --record does."""
import argparse
import http.server
import signal
import ssl
import sys
import threading

from tests.support.hec_double import HecDouble, Token, record_new


def serve_tls(double, host, port, cert, key):
    """Also serves double on host:port (0: a free one) over HTTPS with
    cert and key; the server (.server_address)."""
    server = http.server.ThreadingHTTPServer((host, port), double.httpd.RequestHandlerClass)
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # the handshake in the handler's thread: a client refusing the
    # certificate must not stop the accepting one
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m ci.demo_hec",
                                description="A TEST DOUBLE of Splunk's HTTP Event Collector (not Splunk), over HTTPS.")
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every address)")
    p.add_argument("--token-file", required=True, help="file holding the one token accepted")
    p.add_argument("--record", required=True, help="file the accepted events are appended to, one JSON a line")
    p.add_argument("--tls-cert", required=True, help="the server certificate (PEM)")
    p.add_argument("--tls-key", required=True, help="its key (PEM)")
    a = p.parse_args(argv)
    try:
        token = open(a.token_file).read().strip()
    except OSError as e:
        sys.exit(f"demo_hec: --token-file: {e.strerror}: {a.token_file}")
    if not token:
        sys.exit(f"demo_hec: --token-file: {a.token_file} is empty")
    double = HecDouble({token: Token()})
    try:
        serve_tls(double, a.host, a.port, a.tls_cert, a.tls_key)
    except (OSError, ssl.SSLError) as e:
        sys.exit(f"demo_hec: cannot serve HTTPS on {a.host}:{a.port}: {e}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"demo_hec: a TEST DOUBLE of Splunk's HEC (not Splunk) over HTTPS on {a.host}:{a.port}, "
          f"recording accepted events in {a.record}", flush=True)
    written = 0
    with open(a.record, "a") as out:
        while not stop.wait(0.2):
            written = record_new(double, out, written)
        record_new(double, out, written)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
