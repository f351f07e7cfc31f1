"""ci/splunk_setup.py against a TEST DOUBLE of Splunk's management API
(tests/support/splunk_mgmt_double.py, over HTTPS verified against its test
certificate): what a fresh Splunk ends up with, a second run that changes
nothing and says so, a token that differs, the refused password and bad
configuration as one line with exit 100, never a secret in the output."""
import os
import re
import subprocess
import sys

import pytest

from tests.support.http_double import make_cert
from tests.support.paths import REPO
from tests.support.splunk_mgmt_double import SplunkMgmtDouble

PASSWORD = "s3cret-admin-pw"
TOKEN = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


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


def run(splunk, cert, tmp_path, **overrides):
    env = {"PATH": os.environ["PATH"], "SPLUNK_MGMT_URL": splunk.url, "SPLUNK_MGMT_CA": cert[0],
           **secrets(tmp_path), **overrides}
    r = subprocess.run([sys.executable, "-m", "ci.splunk_setup"], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=60)
    for secret in (PASSWORD, TOKEN):
        assert secret not in r.stdout + r.stderr
    return r


def writes(requests):
    return [(m, p) for m, p, _ in requests if m != "GET"]


def test_a_fresh_splunk_is_set_up_as_the_seed_did_by_hand(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path)
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


def test_a_second_run_changes_nothing_and_says_so(splunk, cert, tmp_path):
    assert run(splunk, cert, tmp_path).returncode == 0
    before, n = dict(splunk.state), len(splunk.requests)
    r = run(splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    assert writes(splunk.requests[n:]) == []
    assert splunk.state == before
    assert r.stdout.splitlines()[-1] == "splunk-setup: nothing to change, Splunk was already set up"
    assert all(line.endswith(", unchanged") for line in r.stdout.splitlines()[:-1])


def test_hec_ssl_and_indexes_as_configured(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path, SPLUNK_HEC_SSL="true", SPLUNK_INDEXES="dose_reports,dose_incidents")
    assert r.returncode == 0, r.stderr
    assert splunk.state["hec"]["enableSSL"] == "1"
    assert set(splunk.state["indexes"]) == {"main", "dose_reports", "dose_incidents"}
    assert splunk.state["tokens"]["cirr"]["index"] == "dose_reports"


def test_another_sourcetype_gets_a_stanza_of_its_own(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path, SPLUNK_SOURCETYPE="cirr:dicom", SPLUNK_JSON_TRUNCATE="1000000")
    assert r.returncode == 0, r.stderr
    assert splunk.state["props"]["cirr:dicom"] == {"TRUNCATE": "1000000"}
    assert "splunk-setup: props [cirr:dicom] TRUNCATE: 1000000 (stanza created)" in r.stdout
    assert "TRUNCATE" not in splunk.state["props"]["_json"]


def test_a_token_that_differs_is_corrected(splunk, cert, tmp_path):
    """Indexes or acknowledgement changed by hand are set back; a token whose
    value is not the secret's is replaced (Splunk does not change a value
    in place), so that the watchers' secret is accepted."""
    splunk.state["tokens"]["cirr"] = {"token": TOKEN, "index": "main", "indexes": ["main"], "useACK": "1",
                                      "disabled": "0"}
    r = run(splunk, cert, tmp_path)
    assert "splunk-setup: HEC token cirr: updated index, indexes, useACK" in r.stdout
    assert splunk.state["tokens"]["cirr"]["useACK"] == "0"
    splunk.state["tokens"]["cirr"]["token"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    r = run(splunk, cert, tmp_path)
    assert "splunk-setup: HEC token cirr: replaced (its value was not the secret's)" in r.stdout
    assert splunk.state["tokens"]["cirr"]["token"] == TOKEN
    assert r.stdout.splitlines()[-1] == "splunk-setup: 1 change made"


def test_an_index_created_meanwhile_is_taken_as_it_is(splunk, cert, tmp_path):
    splunk.unseen.add("pacs")
    r = run(splunk, cert, tmp_path)
    assert r.returncode == 0, r.stderr
    assert ("POST", "/services/data/indexes", {"name": "pacs", "datatype": "event"}) in splunk.requests
    assert "splunk-setup: index pacs: exists, unchanged" in r.stdout


def test_a_refused_password_is_one_clear_line(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path, **secrets(tmp_path, password="not-the-password"))
    assert r.returncode == 100
    assert r.stderr.splitlines() == [f"splunk-setup: {splunk.url}: Splunk refused the password of "
                                     "SPLUNK_PASSWORD_FILE (HTTP 401)"]
    assert "not-the-password" not in r.stdout + r.stderr
    assert writes(splunk.requests) == []


@pytest.mark.parametrize("overrides,line", [
    ({"SPLUNK_PASSWORD_FILE": ""}, "splunk-setup: SPLUNK_PASSWORD_FILE is required"),
    ({"SPLUNK_PASSWORD_FILE": "/nonexistent/pw"},
     "splunk-setup: SPLUNK_PASSWORD_FILE=/nonexistent/pw: No such file or directory"),
    ({"SPLUNK_INDEXES": "dicom,Bad Index"},
     "splunk-setup: SPLUNK_INDEXES=dicom,Bad Index: 'Bad Index' is no index name (a-z, 0-9, _ and -)"),
    ({"SPLUNK_HEC_SSL": "maybe"}, "splunk-setup: SPLUNK_HEC_SSL=maybe: true or false"),
    ({"SPLUNK_HEC_INDEX": "main"}, "splunk-setup: SPLUNK_HEC_INDEX=main: not one of SPLUNK_INDEXES"),
])
def test_bad_configuration_is_one_line_and_exit_100(splunk, cert, tmp_path, overrides, line):
    r = run(splunk, cert, tmp_path, **overrides)
    assert (r.returncode, r.stderr.splitlines()) == (100, [line])
    assert splunk.requests == []


def test_a_token_that_is_no_guid_is_refused_without_showing_it(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path, **secrets(tmp_path, token="my-secret-token-value"))
    assert r.returncode == 100
    assert "is not a GUID" in r.stderr and "my-secret-token-value" not in r.stderr
    assert splunk.requests == []


def test_an_unverified_certificate_or_no_splunk_is_exit_1(splunk, cert, tmp_path):
    r = run(splunk, cert, tmp_path, SPLUNK_MGMT_CA="/etc/ssl/certs/ca-certificates.crt")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "CERTIFICATE_VERIFY_FAILED" in r.stderr
    url = splunk.url
    splunk.close()
    r = run(splunk, cert, tmp_path, SPLUNK_MGMT_URL=url)
    assert r.returncode == 1 and r.stderr.startswith(f"splunk-setup: {url}: ")


def test_help_and_manual_list_every_variable():
    r = subprocess.run([sys.executable, "-m", "ci.splunk_setup", "--help"], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0
    from ci.splunk_setup import VARIABLES
    manual = open(os.path.join(REPO, "doc", "splunk.md")).read()
    documented = set(re.findall(r"^\| `(SPLUNK_[A-Z_]+)` \|", manual, re.M))
    assert documented == {name for name, _, _ in VARIABLES}
    for name, _, _ in VARIABLES:
        assert f"  {name} (" in r.stdout
