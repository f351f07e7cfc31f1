"""The OpenDose and SIREN system tests' common set-up: a cluster deployed
on the single-node swarm by ci.swarm and the cluster's ci.demo_* module, its
watchers feeding a HEC double (no Splunk image here) served on the host,
over HTTPS when the cluster asks for it. Everything made is removed at the
end, also when a check fails."""
import contextlib
import shutil
import tempfile
import time

from ci.demo_hec import serve_tls
from ci.swarm import Cluster
from tests.support.hec_double import HecDouble, Token, serve


START = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - START:6.1f} s] {msg}", flush=True)


@contextlib.contextmanager
def demo_cluster(env, tls=None, hec_name=None):
    """Yields (cluster, double, data folder) once the swarm, secrets and
    images are set up and the double serves; tls(cluster, folder) makes the
    cluster's secrets and gives the double's (cert, key); hec_name: the name
    the watchers send to (else the host's address)."""
    data = tempfile.mkdtemp(prefix="cirr-system-")
    c = Cluster(data, env, log=log)
    double = server = None
    try:
        c.setup()
        pair = tls(c, data) if tls else None
        double = HecDouble({c.secrets["splunk_hec_token"]: Token()})
        server = serve_tls(double, "0.0.0.0", 0, *pair) if pair else serve(double, "0.0.0.0", 0)
        c.env["SPLUNK_HEC_HOST_IP"] = c.host_address()
        c.env["SPLUNK_HEC_ADDRESS"] = f"{hec_name or c.env['SPLUNK_HEC_HOST_IP']}:{server.server_address[1]}"
        yield c, double, data
    finally:
        if server:
            server.shutdown()
            server.server_close()
        if double:
            double.close()
        c.teardown()
        shutil.rmtree(data, ignore_errors=True)


def events_of(double):
    """A function giving the events the double has accepted so far."""
    def events():
        with double.lock:
            return list(double.events)
    return events
