"""cirr-mockpacs under test, on free loopback ports, with a repeatable
catalog (fixed seed and end date)."""
import json
import urllib.request

from tests.support.paths import built
from tests.support.ports import free_port
from tests.support.processes import Process

MOCKPACS = built("CIRR_MOCKPACS", "cirr-mockpacs")


class Mock(Process):
    """A started mockpacs: .port (DICOM), .http (status page). env: more
    MOCK_*/MOD_* variables; wrapper: e.g. a valgrind command line."""

    def __init__(self, tmp, wrapper=(), **env):
        self.port, self.http = free_port(), free_port()
        e = {"PATH": "/usr/bin:/bin", "MOCK_PORT": str(self.port), "MOCK_HTTP_PORT": str(self.http),
             "MOCK_STORE_DIR": str(tmp / f"store-{self.port}"), "MOCK_END_DATE": "20261101",
             "MOCK_STUDIES": "1000", "MOCK_SEED": "7"}
        e.update({k: str(v) for k, v in env.items()})
        super().__init__([*wrapper, MOCKPACS], e, str(tmp / f"mockpacs-{self.port}.log"))
        self.wait_listening(60)

    def status(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/status", timeout=5) as r:
            return json.loads(r.read())
