"""Programs the tests start: each with its output in a log file, stopped
(SIGTERM, then SIGKILL) when the test is done; and the check that an
ASan/UBSan build reported nothing."""
import os
import signal
import subprocess

from tests.support.ports import wait_port
from tests.support.waiting import wait_for

# The ASan/UBSan builds print one of these and stop; the plain builds never do.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def assert_no_sanitizer_report(text):
    for marker in SANITIZER_REPORTS:
        assert marker not in text, text[max(0, text.index(marker) - 200):][:3000]


# The wrapper of a service run under valgrind: exit status 66 on any error
# or definite leak.
VALGRIND = ("valgrind", "--error-exitcode=66", "--leak-check=full", "--errors-for-leak-kinds=definite")


def assert_valgrind_clean(p):
    """Stops p, started with wrapper=VALGRIND, and checks that valgrind
    found nothing."""
    assert p.stop() == 0, p.text()[-3000:]  # 66 would be a valgrind error
    assert "ERROR SUMMARY: 0 errors" in p.text()


def thread_nice_values(pid):
    """Each thread's nice value (field 19 of /proc/PID/task/TID/stat)."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        out.append(int(stat.rsplit(")", 1)[1].split()[16]))
    return out


class Process:
    """A started program; stdout and stderr go to log. A subclass or the
    caller sets .port when it serves one."""

    def __init__(self, args, env, log):
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_text(self, needle, timeout=10):
        """Waits for needle in the log: a line written after the peer got
        its answer (a rejection, an association's end) may come a moment
        after the peer's program returned."""
        wait_for(lambda: needle in self.text(), timeout, what=f"{needle!r} in {self.log}")

    def wait_listening(self, timeout=15, ports=None):
        """Waits for ports (default: self.port); a server that never listens
        is stopped, not left behind."""
        try:
            for port in ports or (self.port,):
                wait_port(port, timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """SIGTERM, SIGKILL after 30 s; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
