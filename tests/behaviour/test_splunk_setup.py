"""cirr-splunk-setup (doc/splunk.md) against a TEST DOUBLE of Splunk's
management API (tests/support/splunk_mgmt_double.py, over HTTPS verified
against its test certificate): what a fresh Splunk ends up with, a second
run that changes nothing and says so, a token that differs, the refused
password and bad configuration as one line with exit 100, the wait for a
Splunk still starting, and never a secret in the output. Every test runs
the plain build and the ASan/UBSan build (any sanitizer report fails it)."""
import os
import re
import subprocess

import pytest

from tests.support.cirr_init import INIT
from tests.support.http_double import make_cert
from tests.support.paths import REPO, built
from tests.support.ports import free_port
from tests.support.processes import assert_no_sanitizer_report
from tests.support.splunk_mgmt_double import SplunkMgmtDouble
from tests.support.waiting import wait_for

SETUP = built("CIRR_SPLUNK_SETUP", "cirr-splunk-setup")
# The Makefile builds $(BUILD)/asan/NAME beside $(BUILD)/NAME.
SETUP_ASAN = os.environ.get("CIRR_SPLUNK_SETUP_ASAN") or os.path.join(os.path.dirname(SETUP), "asan",
                                                                      os.path.basename(SETUP))
PASSWORD = "s3cret-admin-pw"
TOKEN = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
FATAL = "cirr-splunk-setup: fatal: "


@pytest.fixture(params=["plain", "asan"])
def binary(request):
    path = SETUP if request.param == "plain" else SETUP_ASAN
    assert os.access(path, os.X_OK), f"{path}: not built (make BUILD=... BUILD/cirr-splunk-setup BUILD/asan/cirr-splunk-setup)"
    return path


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_cert(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def splunk(cert):
    double = SplunkMgmtDouble(PASSWORD, tls=cert)
    yield double
    double.close()


def secrets(tmp_path, password=PASSWORD, token=TOKEN):
    """The two secret files, in a folder of their own (the default ones stay)."""
    folder = tmp_path / ("default" if (password, token) == (PASSWORD, TOKEN) else "other")
    folder.mkdir(exist_ok=True)
    for name, value in (("password", password), ("token", token)):
        (folder / name).write_text(value + "\n")
    return {"SPLUNK_PASSWORD_FILE": str(folder / "password"), "SPLUNK_HEC_TOKEN_FILE": str(folder / "token")}


def environment(splunk_url, cert, tmp_path, **overrides):
    return {"PATH": os.environ["PATH"], "SPLUNK_MGMT_URL": splunk_url, "SPLUNK_MGMT_CA": cert[0],
            "SPLUNK_WAIT_S": "0", "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=66",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=66", **secrets(tmp_path), **overrides}


def checked(r, *hidden):
    """r, once no secret and no sanitizer report is in its output."""
    for secret in (PASSWORD, TOKEN) + hidden:
        assert secret not in r.stdout + r.stderr
    assert_no_sanitizer_report(r.stderr)
    return r


def run(binary, splunk, cert, tmp_path, **overrides):
    env = environment(splunk.url, cert, tmp_path, **overrides)
    return checked(subprocess.run([binary], env=env, capture_output=True, text=True, timeout=60))


def writes(requests):
    return [(m, p) for m, p, _ in requests if m != "GET"]


def test_a_fresh_splunk_is_set_up_as_the_seed_did_by_hand(binary, splunk, cert, tmp_path):
    r = run(binary, splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    state = splunk.state
    assert {"dicom", "pacs", "dose_reports", "dose_incidents"} <= set(state["indexes"])
    assert state["hec"]["disabled"] == "0" and state["hec"]["enableSSL"] == "0"
    token = state["tokens"]["cirr"]
    assert token["token"] == TOKEN and token["useACK"] == "0" and token["index"] == "dicom"
    assert sorted(token["indexes"]) == ["dicom", "dose_incidents", "dose_reports", "pacs"]
    assert state["props"]["_json"]["TRUNCATE"] == "500000"
    assert "splunk-setup: index dose_reports: created" in r.stdout
    assert "splunk-setup: HEC token cirr: created (indexes dicom,pacs,dose_reports,dose_incidents, " \
           "acknowledgement off)" in r.stdout
    assert r.stdout.splitlines()[-1] == "splunk-setup: 7 changes made"
    assert r.stderr == ""


def test_a_second_run_changes_nothing_and_says_so(binary, splunk, cert, tmp_path):
    assert run(binary, splunk, cert, tmp_path).returncode == 0
    before, n = dict(splunk.state), len(splunk.requests)
    r = run(binary, splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    assert writes(splunk.requests[n:]) == []
    assert splunk.state == before
    assert r.stdout.splitlines()[-1] == "splunk-setup: nothing to change, Splunk was already set up"
    assert all(line.endswith(", unchanged") for line in r.stdout.splitlines()[:-1])


def test_hec_ssl_and_indexes_as_configured(binary, splunk, cert, tmp_path):
    r = run(binary, splunk, cert, tmp_path, SPLUNK_HEC_SSL="true", SPLUNK_INDEXES="dose_reports, dose_incidents")
    assert r.returncode == 0, r.stderr
    assert splunk.state["hec"]["enableSSL"] == "1"
    assert set(splunk.state["indexes"]) == {"main", "dose_reports", "dose_incidents"}
    assert splunk.state["tokens"]["cirr"]["index"] == "dose_reports"
    assert splunk.state["tokens"]["cirr"]["indexes"] == ["dose_reports", "dose_incidents"]


def test_another_sourcetype_gets_a_stanza_of_its_own(binary, splunk, cert, tmp_path):
    r = run(binary, splunk, cert, tmp_path, SPLUNK_SOURCETYPE="cirr:dicom", SPLUNK_JSON_TRUNCATE="1000000")
    assert r.returncode == 0, r.stderr
    assert splunk.state["props"]["cirr:dicom"] == {"TRUNCATE": "1000000"}
    assert "splunk-setup: props [cirr:dicom] TRUNCATE: 1000000 (stanza created)" in r.stdout
    assert "TRUNCATE" not in splunk.state["props"]["_json"]


def test_a_token_that_differs_is_corrected(binary, splunk, cert, tmp_path):
    """Indexes or acknowledgement changed by hand are set back; a token whose
    value is not the secret's is replaced (Splunk does not change a value
    in place), so that the watchers' secret is accepted."""
    splunk.state["tokens"]["cirr"] = {"token": TOKEN, "index": "main", "indexes": ["main"], "useACK": "1",
                                      "disabled": "0"}
    r = run(binary, splunk, cert, tmp_path)
    assert "splunk-setup: HEC token cirr: updated index, indexes, useACK" in r.stdout
    assert splunk.state["tokens"]["cirr"]["useACK"] == "0"
    splunk.state["tokens"]["cirr"]["token"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    r = run(binary, splunk, cert, tmp_path)
    assert "splunk-setup: HEC token cirr: replaced (its value was not the secret's)" in r.stdout
    assert splunk.state["tokens"]["cirr"]["token"] == TOKEN
    assert r.stdout.splitlines()[-1] == "splunk-setup: 1 change made"


def test_flags_given_as_json_booleans_are_read_as_such(binary, splunk, cert, tmp_path):
    """Splunk answers some flags as JSON true/false, others as "0"/"1":
    a set-up that is already right is right in either form."""
    assert run(binary, splunk, cert, tmp_path).returncode == 0
    splunk.state["hec"].update({"disabled": False, "enableSSL": False})
    splunk.state["tokens"]["cirr"].update({"useACK": False, "disabled": False})
    n = len(splunk.requests)
    r = run(binary, splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    assert writes(splunk.requests[n:]) == []
    splunk.state["hec"]["disabled"] = True
    r = run(binary, splunk, cert, tmp_path)
    assert "splunk-setup: HEC: enabled, SSL off (was disabled=1, enableSSL=0)" in r.stdout


def test_an_index_created_meanwhile_is_taken_as_it_is(binary, splunk, cert, tmp_path):
    splunk.unseen.add("pacs")
    r = run(binary, splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    assert ("POST", "/services/data/indexes", {"name": "pacs", "datatype": "event"}) in splunk.requests
    assert "splunk-setup: index pacs: exists, unchanged" in r.stdout


def test_a_refused_password_is_one_clear_line(binary, splunk, cert, tmp_path):
    r = run(binary, splunk, cert, tmp_path, **secrets(tmp_path, password="not-the-password"))
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f"{FATAL}{splunk.url}: Splunk refused the password of "
                                     "SPLUNK_PASSWORD_FILE (HTTP 401)"]
    assert "not-the-password" not in r.stdout + r.stderr
    assert writes(splunk.requests) == []


@pytest.mark.parametrize("overrides,line", [
    ({"SPLUNK_PASSWORD_FILE": ""}, "SPLUNK_PASSWORD_FILE is required"),
    ({"SPLUNK_PASSWORD_FILE": "/nonexistent/pw"}, "SPLUNK_PASSWORD_FILE=/nonexistent/pw: No such file or directory"),
    ({"SPLUNK_INDEXES": "dicom,Bad Index"},
     "SPLUNK_INDEXES=dicom,Bad Index: 'Bad Index' is no index name (a-z, 0-9, _ and -)"),
    ({"SPLUNK_HEC_SSL": "maybe"}, "SPLUNK_HEC_SSL: expected true or false, got 'maybe'"),
    ({"SPLUNK_HEC_INDEX": "main"}, "SPLUNK_HEC_INDEX=main: not one of SPLUNK_INDEXES"),
    ({"SPLUNK_MGMT_URL": "ftp://splunk:8089"}, "SPLUNK_MGMT_URL=ftp://splunk:8089: https://host:port"),
    ({"SPLUNK_WAIT_S": "soon"}, "SPLUNK_WAIT_S: expected a number from 0 to 86400, got 'soon'"),
])
def test_bad_configuration_is_one_line_and_exit_100(binary, splunk, cert, tmp_path, overrides, line):
    r = run(binary, splunk, cert, tmp_path, **overrides)
    assert (r.returncode, r.stderr.splitlines()) == (100, [FATAL + line])
    assert splunk.requests == []


def test_a_token_that_is_no_guid_is_refused_without_showing_it(binary, splunk, cert, tmp_path):
    r = run(binary, splunk, cert, tmp_path, **secrets(tmp_path, token="my-secret-token-value"))
    assert r.returncode == 100
    assert "is not a GUID" in r.stderr and "my-secret-token-value" not in r.stderr
    assert splunk.requests == []


def test_an_unverified_certificate_or_no_splunk_is_exit_1(binary, splunk, cert, tmp_path):
    """A certificate that does not verify is final at once (no attempt
    lines), whatever SPLUNK_WAIT_S; an absent Splunk after the wait."""
    r = run(binary, splunk, cert, tmp_path, SPLUNK_MGMT_CA="/etc/ssl/certs/ca-certificates.crt",
            SPLUNK_WAIT_S="300")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"{FATAL}{splunk.url}: SSL certificate problem: self-signed certificate"]
    url = splunk.url
    splunk.close()
    r = run(binary, splunk, cert, tmp_path, SPLUNK_MGMT_URL=url)
    assert r.returncode == 1 and r.stderr.startswith(f"{FATAL}{url}: ") and len(r.stderr.splitlines()) == 1


def test_an_answer_splunk_should_not_give_is_exit_1_with_its_message_and_no_secret(binary, splunk, cert,
                                                                                 tmp_path):
    """Splunk's error text is quoted, escaped to one line, with any secret
    in it masked (here it echoes the token and the password back)."""
    hec = "/servicesNS/admin/splunk_httpinput/data/inputs/http"
    splunk.failures[("POST", hec)] = (500, f"token {TOKEN} refused for admin:{PASSWORD}\nsecond line")
    r = run(binary, splunk, cert, tmp_path)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"{FATAL}POST {hec}: HTTP 500: token [redacted] refused for "
                                     "admin:[redacted]\\x0asecond line"]
    assert "HEC token" not in r.stdout


def test_a_splunk_that_is_starting_is_waited_for(binary, splunk, cert, tmp_path):
    """503 while Splunk starts: one warning line per attempt, then the set-up."""
    splunk.starting = 2
    r = run(binary, splunk, cert, tmp_path, SPLUNK_WAIT_S="60")
    assert r.returncode == 0, r.stderr
    attempts = r.stderr.splitlines()
    assert len(attempts) == 2
    for n, line in enumerate(attempts, 1):
        assert re.fullmatch(rf"cirr-splunk-setup: warning: attempt {n}: {re.escape(splunk.url)}: HTTP 503 "
                            r"\(Splunk is starting\); trying again in \d+ ms", line), line
    assert r.stdout.splitlines()[-1] == "splunk-setup: 7 changes made"


def test_a_splunk_started_late_is_waited_for(binary, cert, tmp_path):
    port = free_port()
    url = f"https://localhost:{port}"
    log = tmp_path / "stderr"
    with open(log, "w") as err:
        proc = subprocess.Popen([binary], env=environment(url, cert, tmp_path, SPLUNK_WAIT_S="60"),
                                stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        wait_for(lambda: "warning: attempt 2:" in log.read_text(), timeout=30, what="two attempts")
        double = SplunkMgmtDouble(PASSWORD, tls=cert, port=port)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    double.close()
    r = checked(subprocess.CompletedProcess([binary], proc.returncode, out, log.read_text()))
    assert r.returncode == 0, r.stderr
    assert "Couldn't connect to server; trying again in" in r.stderr
    assert double.state["tokens"]["cirr"]["token"] == TOKEN
    assert r.stdout.splitlines()[-1] == "splunk-setup: 7 changes made"


def test_a_splunk_that_never_comes_is_exit_1_after_the_wait(binary, cert, tmp_path):
    url = f"https://localhost:{free_port()}"
    r = checked(subprocess.run([binary], env=environment(url, cert, tmp_path, SPLUNK_WAIT_S="2"),
                               capture_output=True, text=True, timeout=60))
    lines = r.stderr.splitlines()
    assert r.returncode == 1
    assert len(lines) >= 2 and all(" warning: attempt " in line for line in lines[:-1])
    assert lines[-1].startswith(f"{FATAL}{url}: ") and lines[-1].endswith("(still so after SPLUNK_WAIT_S=2 s)")


def test_run_by_cirr_init_with_docker_secrets(binary, splunk, cert, tmp_path):
    """As the admin stack runs it: `cirr-init -- cirr-splunk-setup`, the
    *_FILE variables naming files in the secrets folder, which cirr-init
    turns into SPLUNK_PASSWORD and SPLUNK_HEC_TOKEN."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "splunk_password").write_text(PASSWORD + "\n")
    (folder / "splunk_hec_token").write_text(TOKEN + "\n")
    env = environment(splunk.url, cert, tmp_path, CIRR_SECRETS_DIR=str(folder),
                      CIRR_RUNDIR=str(tmp_path / "run"),
                      SPLUNK_PASSWORD_FILE=str(folder / "splunk_password"),
                      SPLUNK_HEC_TOKEN_FILE=str(folder / "splunk_hec_token"),
                      SPLUNK_HEC_TOKEN_NAME="splunk_hec_token")
    r = checked(subprocess.run([INIT, "--", binary], env=env, capture_output=True, text=True, timeout=60))
    assert r.returncode == 0, r.stderr
    assert "splunk-setup: HEC token splunk_hec_token: created (indexes dicom,pacs,dose_reports,dose_incidents, " \
           "acknowledgement off)" in r.stdout.splitlines()
    assert r.stdout.splitlines()[-1] == "splunk-setup: 7 changes made"
    assert splunk.state["tokens"]["splunk_hec_token"]["token"] == TOKEN


def test_help_and_manual_list_every_variable(binary):
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("usage: cirr-splunk-setup [--help]\n")
    listed = re.findall(r"^  ([A-Z][A-Z0-9_]*)", r.stdout, re.M)
    manual = open(os.path.join(REPO, "doc", "splunk.md")).read()
    configuration = manual.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(SPLUNK_[A-Z_]+)` \|", configuration, re.M)
    assert sorted(documented) == sorted(listed)
    assert "SPLUNK_WAIT_S" in listed
