"""cirr-init is long-running: a supervision session with probes, restarts,
output relaying and an ordered shutdown must be valgrind-clean."""
import os
import signal
import time

from tests.support.cirr_init import INIT_DEBUG, Box
from tests.support.waiting import wait_for

def test_supervision_session_is_valgrind_clean(tmp_path):
    box = Box(tmp_path, "/usr/bin/valgrind")
    f = box.file("services", """
[probe closed]
kind = tcp
address = 127.0.0.1:1
interval = 200ms
[probe ok]
kind = exec
command = true
interval = 200ms
[service app]
command = sh -c "echo partial; printf tail; sleep 60"
wait = ok
ready = ok
health = ok, closed
main = yes
[service flaky]
command = sh -c "echo flaky; sleep 0.2; exit 1"
backoff = 100ms
max-fast-failures = 0
""")
    r = box.start("--error-exitcode=66", "--leak-check=full", "--errors-for-leak-kinds=definite",
                  "--child-silent-after-fork=yes", "--trace-children=no", INIT_DEBUG, "-f", str(f),
                  "-vv", pid1=False)
    wait_for(lambda: r.stdout().count("flaky: flaky") >= 3,
             timeout=30, what="three restarts")
    time.sleep(1)
    os.kill(r.proc.pid, signal.SIGTERM)
    code = r.wait(timeout=60)
    err = r.stderr()
    assert "ERROR SUMMARY: 0 errors" in err, err
    assert code == 128 + signal.SIGTERM, err  # the main service's status, not valgrind's 66
