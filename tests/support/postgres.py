"""A real peer for the probe tests: Debian's PostgreSQL 15 server, a
throw-away cluster on a free loopback port."""
import glob
import os
import shutil
import subprocess
import tempfile

from tests.support.ports import free_port


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
