"""Hardening of cirr-init (issue 11, findings 9 to 12): a secret never
reaches its log or status file, in whatever form it arrives; services drop
to the user, group and supplementary groups they name; a variable's value
is always one word of a command; probes run as the user of the services
they serve."""
import json
import os
import pathlib
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile

import pytest

from tests.support.cirr_init import PY
from tests.support.processes import assert_no_sanitizer_report
from tests.support.waiting import wait_for


def status_text(box):
    p = box.rundir / "status"
    try:
        return p.read_text()
    except FileNotFoundError:
        return ""


@pytest.fixture
def shared():
    """A folder that a service or probe running as nobody can write to."""
    d = pathlib.Path(tempfile.mkdtemp(prefix="cirr-hard-"))
    d.chmod(0o777)
    yield d
    shutil.rmtree(d)


def script(box, name, body):
    """An executable shell script in the box, for a probe's command."""
    return box.file(name, "#!/bin/sh\n" + body, 0o755)


def exec_probe(name, command):
    return f"[probe {name}]\nkind = exec\ncommand = {command}\ninterval = 200ms\n"


def run_until_probes_fail(box, probes, env):
    """Start cirr-init with the probe sections probes (a dict: name to
    section) and a service waiting for them all; wait until each has failed
    in the status file, stop it; returns its log, output and last status."""
    services = "".join(probes.values()) + f"[service app]\ncommand = sleep 60\nwait = {', '.join(probes)}\n"
    r = box.start("-f", str(box.file("services", services)), env=env)
    wait_for(lambda: all(f"probe {p} fail" in status_text(box) for p in probes),
             timeout=15, what="failing probes in the status file")
    status = status_text(box)
    r.signal(signal.SIGTERM)
    r.wait()
    return r.stderr() + r.stdout() + status


# 9. Secrets in the log and the status file


def test_a_secret_straddling_the_probe_output_cut_leaves_no_prefix(box):
    # The probe's first line is 240 spaces and then the secret: a reason cut
    # at 255 characters before redaction showed "Zq7-Straddle-Se".
    leak = script(box, "leak.sh", "printf '%240s%s\\n' '' \"$API_TOKEN\"; exit 1\n")
    text = run_until_probes_fail(box, {"leak": exec_probe("leak", leak)},
                                 {"API_TOKEN": "Zq7-Straddle-Secret-91x"})
    assert "Zq7" not in text, text
    assert "[redacted]" in text


def test_a_multi_line_secret_never_shows_a_line_or_its_spaced_form(box):
    sf = box.file("pw", "first-Lk3-line\nsecond-Mq8-line\n", 0o600)
    raw = script(box, "raw.sh", "printf 'raw: %s\\n' \"$DB_PASSWORD\"; exit 1\n")
    spaced = script(box, "spaced.sh", "echo spaced: $DB_PASSWORD; exit 1\n")  # unquoted: lines joined
    text = run_until_probes_fail(box, {"raw": exec_probe("raw", raw), "spaced": exec_probe("spaced", spaced)},
                                 {"DB_PASSWORD_FILE": str(sf)})
    assert "Lk3" not in text and "Mq8" not in text, text
    assert "raw: [redacted]" in text and "spaced: [redacted]" in text


def test_a_secret_in_url_json_or_conninfo_form_is_masked(box):
    # The forms a value takes on its way into URLs, JSON and conninfo strings.
    forms = box.file("forms.py", """
import json, os, re, sys, urllib.parse
s = os.environ["API_TOKEN"]
form = sys.argv[1]
if form == "url":
    print("GET /?t=" + urllib.parse.quote(s, safe=""))
elif form == "query":
    print("GET /?t=" + re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote_plus(s)))
elif form == "json":
    print('{"token": ' + json.dumps(s) + "}")
else:
    print("password='" + s.replace("\\\\", "\\\\\\\\").replace("'", "\\\\'") + "'")
sys.exit(1)
""")
    kinds = ("url", "query", "json", "conninfo")
    text = run_until_probes_fail(box, {k: exec_probe(k, f"{PY} {forms} {k}") for k in kinds},
                                 {"API_TOKEN": "Kv4 p@ss/\"q'&x%\\z"})
    assert "Kv4" not in text and "kv4" not in text, text
    for masked in ("GET /?t=[redacted]", '{"token": "[redacted]"}', "password='[redacted]'"):
        assert masked in text


def test_a_service_file_error_never_cuts_a_secret_in_half(box):
    # The error line quotes the bad value; whatever its length, the secret
    # at its end is masked whole, never cut first and left half visible.
    for pad in range(300, 340, 3):
        f = box.file("services", f"[service s]\ncommand = true\nrestart = {'x' * pad}${{API_TOKEN}}\n")
        r = box.run("-f", str(f), env={"API_TOKEN": "Tq9-cut-in-half-secret"})
        assert r.returncode == 100
        assert "Tq9" not in r.stderr(), (pad, r.stderr())


@pytest.mark.parametrize("how", ["variable", "file"])
def test_a_secret_shorter_than_3_characters_stops_start_up(box, how):
    marker = box.path / "started"
    env = {"DB_PASSWORD": "q7"}
    if how == "file":
        env = {"DB_PASSWORD_FILE": str(box.file("pw", "q7\n", 0o600))}
    r = box.run("--", "touch", str(marker), env=env)
    assert r.returncode == 100
    assert r.stderr().startswith("cirr-init: fatal: DB_PASSWORD: a secret must have at least 3 "
                                 "characters"), r.stderr()
    assert len(r.stderr().splitlines()) == 1 and "q7" not in r.stderr()
    assert not marker.exists()


def test_libpq_conninfo_errors_never_echo_part_of_a_password(box):
    # libpq reports a conninfo it cannot parse by quoting the words around
    # the fault: here the second half of the password.
    db = ("[probe db]\nkind = postgres\nquery = yes\ninterval = 200ms\nconninfo = host=127.0.0.1 "
          "port=1 user=postgres dbname=postgres password=${DB_PASSWORD}\n")
    text = run_until_probes_fail(box, {"db": db}, {"DB_PASSWORD": "pass Word-Kx9"})
    assert "Kx9" not in text, text
    assert "probe db fail invalid conninfo" in text


def test_the_status_file_is_not_world_readable_and_health_still_reads_it(box):
    f = box.file("services", "[service app]\ncommand = sleep 60\n")
    r = box.start("-f", str(f))
    wait_for(lambda: box.health().returncode == 0, what="healthy")
    mode = stat.S_IMODE((box.rundir / "status").stat().st_mode)
    assert mode & 0o007 == 0, oct(mode)
    r.signal(signal.SIGTERM)
    r.wait()


# 10. Privileges: user, group, supplementary groups


def ids_service(shared, user_lines):
    return f"""
[service s]
command = sh -c "id -u > {shared}/uid; id -g > {shared}/gid; id -G > {shared}/groups"
{user_lines}
restart = never
"""


def read_ids(shared):
    return tuple((shared / n).read_text().split() for n in ("uid", "gid", "groups"))


def test_a_numeric_user_takes_its_group_from_passwd(box, shared):
    nobody = pwd.getpwnam("nobody")
    r = box.run("-f", str(box.file("services", ids_service(shared, f"user = {nobody.pw_uid}"))))
    assert r.returncode == 0, r.stderr()
    gid = str(nobody.pw_gid)
    assert read_ids(shared) == ([str(nobody.pw_uid)], [gid], [gid])


def test_a_numeric_user_without_a_passwd_entry_needs_a_group(box, shared):
    f = box.file("services", ids_service(shared, "user = 54321"))
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip() == (f"cirr-init: fatal: {f}:4: user: UID 54321 has no entry in "
                                  "/etc/passwd to take a group from: add 'group = GID'")
    f = box.file("services", ids_service(shared, "user = 54321\ngroup = 54322"))
    r = box.run("-f", str(f))
    assert r.returncode == 0, r.stderr()
    assert read_ids(shared) == (["54321"], ["54322"], ["54322"])


@pytest.mark.parametrize("line, key", [
    ("user = 4294967296", "user"), ("user = 4294967295", "user"), ("user = 99999999999999999999", "user"),
    ("user = -1", "user"), ("user = 65534:4294967296", "user"), ("user = 65534:-1", "user"),
    ("group = 4294967296", "group"), ("group = -5", "group"),
])
def test_out_of_range_ids_are_configuration_errors(box, line, key):
    marker = box.path / "started"
    f = box.file("services", f"[service s]\ncommand = touch {marker}\n{line}\n")
    r = box.run("-f", str(f))
    assert r.returncode == 100, r.stderr()
    assert r.stderr().startswith(f"cirr-init: fatal: {f}:3: {key}: "), r.stderr()
    assert "0 to 4294967294" in r.stderr()
    assert not marker.exists()


def test_supplementary_groups_are_the_users_own_never_roots(box, shared):
    # cirr-init starts with root's supplementary groups 4 and 27 (as Docker
    # gives them); nobody is a member of group 4242 in this /etc/group.
    group = box.file("group", pathlib.Path("/etc/group").read_text() + "cirrtest:x:4242:nobody\n")
    f = box.file("services", ids_service(shared, "user = nobody"))
    script = f"mount --bind {group} /etc/group && exec setpriv --groups 4,27 -- {box.init} -f {f}"
    out = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--mount-proc", "sh", "-c", script],
                         env=box.env, capture_output=True, text=True, timeout=30)
    assert_no_sanitizer_report(out.stderr)
    assert out.returncode == 0, out.stderr
    nobody = pwd.getpwnam("nobody")
    uid, gid, groups = read_ids(shared)
    assert (uid, gid) == ([str(nobody.pw_uid)], [str(nobody.pw_gid)])
    assert sorted(groups) == sorted([str(nobody.pw_gid), "4242"])


# 11. A variable's value is one word


def test_a_variable_is_one_word_however_many_spaces_it_holds(box):
    f = box.file("services", f"""
[service s]
command = {PY} -c "import sys, json; open('argv.json', 'w').write(json.dumps(sys.argv[1:]))" ${{ARGS}} "${{ARGS}}" x${{ARGS}}y ${{UNSET}} "${{UNSET}}" ${{UNSET:-d e}}
restart = never
""")
    args = 'a b "c d" --flag'
    r = box.run("-f", str(f), env={"ARGS": args})
    assert r.returncode == 0, r.stderr()
    got = json.loads((box.path / "argv.json").read_text())
    assert got == [args, args, f"x{args}y", "", "d e"]


# 12. Probes run as the user of the services they serve


def probe_ids(shared, name, extra=""):
    return f"""
[probe {name}]
kind = exec
command = sh -c "id -u > {shared}/{name}-uid; env > {shared}/{name}-env"
interval = 200ms
{extra}"""


def probe_run_by(box, shared, probe_extra, service_extra):
    """Run the probe `who` for a service running as nobody; returns the
    probe's uid and environment."""
    f = box.file("services", probe_ids(shared, "who", probe_extra) +
                 f"[service app]\ncommand = sleep 60\nuser = nobody\nready = who\n{service_extra}")
    r = box.start("-f", str(f), env={"API_TOKEN": "probe-env-secret"})
    wait_for(lambda: (shared / "who-env").exists() and (shared / "who-env").read_text(), what="probe ran")
    r.signal(signal.SIGTERM)
    r.wait()
    return (shared / "who-uid").read_text().strip(), (shared / "who-env").read_text()


def test_an_exec_probe_runs_as_its_services_user_and_sees_only_what_it_may(box, shared):
    uid, env = probe_run_by(box, shared, "", "env = PATH\n")
    assert uid == str(pwd.getpwnam("nobody").pw_uid)
    assert "probe-env-secret" not in env and "PATH=" in env


def test_probe_user_root_runs_a_probe_as_root(box, shared):
    uid, env = probe_run_by(box, shared, "probe-user = root\n", "env = PATH\n")
    assert uid == "0"
    assert "API_TOKEN=probe-env-secret" in env


def test_a_probe_shared_by_two_users_must_say_whose_it_is(box, shared):
    f = box.file("services", probe_ids(shared, "who") + """
[service a]
command = sleep 1
user = nobody
ready = who
[service b]
command = sleep 1
wait = who
""")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip() == (f"cirr-init: fatal: {f}:2: probe who serves services that run as "
                                  "different users (a, b): say whose it is with 'probe-user'")
