"""Debian's chromium, headless, driven over the DevTools protocol on a
pipe (--remote-debugging-pipe: commands on its fd 3, answers on its fd 4,
each a JSON text ended by a NUL byte): open a page, run JavaScript in it,
take a screenshot."""
import base64
import fcntl
import json
import os
import subprocess
import time

CHROMIUM = "/usr/bin/chromium"


def high_pipe():
    """A pipe whose ends are above 4: the child's dup2 onto 3 and 4 must
    not overwrite one of them."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(fd)
    return ends


class Chromium:
    """A headless chromium with one page (a tab) at url."""

    def __init__(self, tmp, url):
        self._cmd_r, self._cmd_w = high_pipe()
        self._ans_r, self._ans_w = high_pipe()
        self.log = open(tmp / "chromium.log", "wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={tmp / 'chromium-profile'}", "--window-size=1200,800",
             "about:blank"],
            stdout=self.log, stderr=subprocess.STDOUT, pass_fds=(3, 4),
            preexec_fn=self._fds)
        os.close(self._cmd_r)
        os.close(self._ans_w)
        self._next, self._buf = 0, b""
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def _fds(self):
        os.dup2(self._cmd_r, 3)
        os.dup2(self._ans_w, 4)

    def call(self, method, params=None, session=None, timeout=30):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self._buf:
                text, self._buf = self._buf.split(b"\0", 1)
                answer = json.loads(text)
                if answer.get("id") == self._next:
                    if "error" in answer:
                        raise AssertionError(f"{method}: {answer['error']}")
                    return answer["result"]
            chunk = os.read(self._ans_r, 65536)
            if not chunk:
                raise AssertionError(f"chromium ended during {method}")
            self._buf += chunk
        raise AssertionError(f"no answer to {method}")

    def js(self, expression):
        """The value of a JavaScript expression in the page (awaited)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      self.session)
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, self.session)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def stop(self):
        try:
            self.call("Browser.close", timeout=5)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._ans_r):
            os.close(fd)
        self.log.close()
        return self.proc.returncode
