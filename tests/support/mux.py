"""cirr-mux under test, on free loopback ports, forwarding to the given
destinations, with short retry delays; and its Prometheus page as numbers."""
import time
import urllib.request

from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import Process

MUX = built("CIRR_MUX", "cirr-mux")


def read_metrics(http_port):
    """The /metrics page of a mux on http_port: {'name{labels}': value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as r:
        out = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out


class Mux(Process):
    """A started mux: .port (DICOM), .http (metrics), .env (to run its
    commands on the same spool). dests: {NAME: (AET, port)} on loopback;
    spool: default tmp/spool; env: more MUX_* variables."""

    def __init__(self, tmp, dests, spool=None, wrapper=(), **env):
        self.port, self.http = free_port(), free_port()
        e = {"PATH": "/usr/bin:/bin", "MUX_PORT": str(self.port), "MUX_HTTP_PORT": str(self.http),
             "MUX_SPOOL": str(spool or tmp / "spool"), "MUX_ALLOW": "*", "MUX_MIN_FREE_MB": "1", "MUX_RETRY_BASE_MS": "200",
             "MUX_RETRY_MAX_MS": "1000"}
        for name, (aet, port) in dests.items():
            e[f"MUX_DEST_{name}"] = f"{aet},127.0.0.1,{port}"
        e.update({k: str(v) for k, v in env.items()})
        self.env = e
        super().__init__([*wrapper, MUX], e, str(tmp / f"mux-{self.port}-{time.monotonic_ns()}.log"))
        # a test may read /metrics at once: wait for both ports, whichever opens last
        self.wait_listening(60, ports=(self.port,) + ((self.http,) if e["MUX_HTTP_PORT"] != "0" else ()))

    def metrics(self):
        return read_metrics(self.http)
