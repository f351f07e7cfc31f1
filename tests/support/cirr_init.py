"""cirr-init under test: the real binary, as PID 1 of a new PID namespace
(`unshare --pid --fork --mount-proc`) or as a child subreaper, with a small
clean environment and a private run/secrets folder (Box), and what one
started copy did (Run)."""
import os
import shutil
import subprocess
import time

from tests.support.paths import built
from tests.support.processes import assert_no_sanitizer_report

INIT = built("CIRR_INIT", "cirr-init")
INIT_ASAN = built("CIRR_INIT_ASAN", "asan/cirr-init")
INIT_DEBUG = built("CIRR_INIT_DEBUG", "debug/cirr-init")  # glibc, for valgrind
PY = "/usr/bin/python3"


def flag_probe(name, flag, gone=None):
    """A probe section that passes while the file flag exists, checked
    every 200 ms: a test makes a service ready, or unready, by creating or
    removing flag. gone: what the probe says when flag is missing."""
    command = f"test -e {flag}" if gone is None else f'sh -c "test -e {flag} || {{ echo {gone}; exit 1; }}"'
    return f"[probe {name}]\nkind = exec\ncommand = {command}\ninterval = 200ms\n"


class Run:
    """A running cirr-init. .pid is its pid as seen from here."""

    def __init__(self, box, proc, pid1):
        self.box, self.proc, self.pid1 = box, proc, pid1
        self._pid = None if pid1 else proc.pid
        self.returncode = None

    @property
    def pid(self):
        deadline = time.monotonic() + 5
        while self._pid is None:
            try:
                with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                    kids = f.read().split()
                if kids:
                    self._pid = int(kids[0])
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("cirr-init did not start")
            time.sleep(0.01)
        return self._pid

    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait(self, timeout=20):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"cirr-init still running after {timeout}s:\n{self.stderr()}")
        assert_no_sanitizer_report(self.stderr())
        return self.returncode

    def stdout(self):
        return (self.box.path / "stdout").read_text(errors="replace")

    def stderr(self):
        return (self.box.path / "stderr").read_text(errors="replace")


class Box:
    """A private folder, environment and launcher for one test."""

    def __init__(self, path, init_bin):
        self.path, self.init = path, init_bin
        self.rundir = path / "run"
        self.secrets = path / "secrets"
        self.secrets.mkdir()
        self.env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "CIRR_RUNDIR": str(self.rundir),
            "CIRR_SECRETS_DIR": str(self.secrets),
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=66",
            "LANG": "C",
        }

    def file(self, name, text, mode=0o644):
        p = self.path / name
        p.write_text(text)
        p.chmod(mode)
        return p

    def start(self, *args, pid1=True, env=None):
        e = dict(self.env, **(env or {}))
        cmd = [self.init, *args]
        if pid1:
            cmd = [shutil.which("unshare") or "/usr/bin/unshare", "--pid", "--fork", "--mount-proc", *cmd]
        with open(self.path / "stdout", "wb") as out, open(self.path / "stderr", "wb") as err:
            proc = subprocess.Popen(cmd, env=e, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    cwd=self.path)
        return Run(self, proc, pid1)

    def run(self, *args, timeout=20, **kw):
        r = self.start(*args, **kw)
        r.wait(timeout)
        return r

    def health(self, env=None):
        e = dict(self.env, **(env or {}))
        return subprocess.run([self.init, "health"], env=e, capture_output=True, text=True,
                              timeout=10)
