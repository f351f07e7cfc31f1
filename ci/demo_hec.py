"""The HEC TEST DOUBLE (tests/support/hec_double.py, not Splunk) served over
HTTPS beyond loopback, for the SIREN demo and system test: the SIREN
watchers speak only HTTPS to Splunk and verify its certificate against the
CA of the secret splunk_ca.

    python3 -m ci.demo_hec --port P --token-file F --record R --tls-cert C --tls-key K

runs it as the demo's background process: tests.support.hec_double's
command line (stops on SIGTERM, appends every accepted event to R), served
over HTTPS."""
import argparse
import http.server
import ssl
import threading

from tests.support import hec_double


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
    """tests.support.hec_double's command line, plus --tls-cert and --tls-key:
    the same double, token file and record, served with serve_tls."""
    p = argparse.ArgumentParser(prog="python3 -m ci.demo_hec", add_help=False)
    p.add_argument("--tls-cert", required=True, help="the server certificate (PEM)")
    p.add_argument("--tls-key", required=True, help="its key (PEM)")
    tls, rest = p.parse_known_args(argv)
    # hec_double.main serves through its module's serve(): HTTPS instead
    hec_double.serve = lambda double, host, port: serve_tls(double, host, port, tls.tls_cert, tls.tls_key)
    return hec_double.main(rest)


if __name__ == "__main__":
    raise SystemExit(main())
