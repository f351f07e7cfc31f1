"""The health command, secrets, templates, privileges (points 5, 7, 8, 9)."""
import json
import pathlib
import pwd
import signal
import stat

from tests.support.cirr_init import INIT, PY, Box, flag_probe
from tests.support.waiting import wait_for

SECRET = 'Sec "ret\\ $HOME pa ss\nline2'


def test_health_reports_ok_then_the_failing_service(box):
    flag = box.path / "healthy"
    flag.touch()
    f = box.file("services", flag_probe("alive", flag) + """
[service app]
command = sleep 60
ready = alive
[service helper]
command = sh -c "sleep 2; exit 3"
restart = on-failure
backoff = 30s
""")
    r = box.start("-f", str(f))
    seen = []  # the very answer that said healthy: asking again races the helper's exit on a loaded machine

    def healthy():
        seen.append(box.health())
        return seen[-1].returncode == 0
    wait_for(healthy, what="healthy")
    assert seen[-1].stdout == "healthy: 2 services running\n"
    wait_for(lambda: "helper is backoff" in box.health().stdout, what="helper unhealthy")
    h = box.health()
    assert h.returncode == 1
    assert h.stdout == "unhealthy: service helper is backoff (last exit status 3, 1 restarts)\n"
    r.signal(signal.SIGTERM)
    r.wait()
    h = box.health()
    assert h.returncode == 1 and "cannot read" in h.stdout


def test_health_names_the_failing_probe(box):
    flag = box.path / "healthy"
    flag.touch()
    f = box.file("services", flag_probe("alive", flag, gone="flag file is gone") + """
[service app]
command = sleep 60
ready = alive
""")
    r = box.start("-f", str(f))
    wait_for(lambda: box.health().returncode == 0, what="healthy")
    flag.unlink()
    wait_for(lambda: box.health().returncode == 1, what="unhealthy")
    assert box.health().stdout == "unhealthy: service app: probe alive failing: flag file is gone\n"
    r.signal(signal.SIGTERM)
    r.wait()


def test_health_works_without_a_shell(tmp_path):
    # HEALTHCHECK CMD ["/sbin/cirr-init","health"] in an image with no shell:
    # the static binary alone in an otherwise empty root answers.
    import shutil
    import subprocess
    box = Box(tmp_path, INIT)
    root = tmp_path / "root"
    (root / "sbin").mkdir(parents=True)
    (root / "run" / "cirr").mkdir(parents=True)
    shutil.copy(INIT, root / "sbin" / "cirr-init")

    def health():
        return subprocess.run(["/usr/sbin/chroot", str(root), "/sbin/cirr-init", "health"],
                              env={"CIRR_RUNDIR": "/run/cirr"}, capture_output=True, text=True)

    out = health()
    assert out.returncode == 1 and "cannot read /run/cirr/status" in out.stdout
    f = box.file("services", "[service app]\ncommand = sleep 60\n")
    r = box.start("-f", str(f), pid1=False)
    wait_for(lambda: box.health().returncode == 0)
    (root / "run" / "cirr" / "status").write_text((box.rundir / "status").read_text())
    out = health()
    assert (out.returncode, out.stdout) == (0, "healthy: 1 service running\n")
    r.signal(signal.SIGTERM)
    r.wait()
    # the status names a pid that is gone now: unhealthy, said in one line
    out = health()
    assert out.returncode == 1 and out.stdout.startswith("unhealthy: cirr-init (pid ")


def test_file_secret_reaches_the_service_and_never_the_logs(box):
    sf = box.file("pw", SECRET + "\n\n", 0o600)
    f = box.file("services", f"""
[probe bad]
kind = http
url = http://127.0.0.1:1/
user = admin
password-env = ORTHANC_PASSWORD
interval = 200ms
[service app]
command = {PY} -c "import os; open('seen', 'w').write(os.environ['ORTHANC_PASSWORD']); print('file var:', os.environ.get('ORTHANC_PASSWORD_FILE'))"
restart = never
wait = bad
wait-timeout = 1s
[service echo]
command = {PY} -c "import os, time; open('seen', 'w').write(os.environ['ORTHANC_PASSWORD']); time.sleep(60)"
""")
    r = box.start("-f", str(f), "-vvv", env={"ORTHANC_PASSWORD_FILE": str(sf)})
    wait_for(lambda: (box.path / "seen").exists())
    status = (box.rundir / "status").read_text()
    r.wait()
    assert (box.path / "seen").read_text() == SECRET
    everything = r.stderr() + r.stdout() + status
    for part in SECRET.split("\n"):
        assert part not in everything


def test_both_variable_and_file_is_an_error(box):
    sf = box.file("pw", "x")
    r = box.run("--", "true", env={"DB_PASSWORD": "direct", "DB_PASSWORD_FILE": str(sf)})
    assert r.returncode == 100
    assert r.stderr().strip() == "cirr-init: fatal: both DB_PASSWORD and DB_PASSWORD_FILE are set; set only one"


def test_unreadable_secret_file_stops_start_up(box):
    marker = box.path / "started"
    r = box.run("--", "touch", str(marker), env={"DB_PASSWORD_FILE": "/nonexistent/pw"})
    assert r.returncode == 100
    assert "cannot read DB_PASSWORD_FILE=/nonexistent/pw: No such file or directory" in r.stderr()
    assert not marker.exists()


def test_run_secrets_folder_sets_unset_variables(box):
    (box.secrets / "ORTHANC_PASSWORD").write_text("from-docker-secret\n")
    r = box.run("--", "sh", "-c", 'printf "%s" "$ORTHANC_PASSWORD" > out')
    assert r.returncode == 0
    assert (box.path / "out").read_text() == "from-docker-secret"


def test_env_allow_list_limits_what_a_helper_inherits(box):
    f = box.file("services", """
[service helper]
command = /usr/bin/env
env = PATH, TZ
restart = never
""")
    r = box.run("-f", str(f), env={"TZ": "America/New_York", "POSTGRES_PASSWORD": "x-secret"})
    assert r.returncode == 0
    lines = sorted(line for line in r.stdout().splitlines() if line.startswith("helper: "))
    assert lines == ["helper: PATH=/usr/sbin:/usr/bin:/sbin:/bin", "helper: TZ=America/New_York"]


def test_template_renders_json_safe_secret_with_mode_0600(box):
    tpl = box.file("orthanc.json.in", '{\n  "Name": "${ORTHANC_NAME:-cirr}",\n'
                   '  "RegisteredUsers": {"admin": "${ORTHANC_PASSWORD|json}"}\n}\n')
    out = box.path / "orthanc.json"
    plain_tpl = box.file("plain.in", "name=${ORTHANC_NAME:-cirr}\n")
    plain = box.path / "plain.conf"
    f = box.file("services", f"""
[service orthanc]
command = true
restart = never
template = {tpl} {out}
template = {plain_tpl} {plain}
""")
    r = box.run("-f", str(f), env={"ORTHANC_PASSWORD": SECRET})
    assert r.returncode == 0, r.stderr()
    doc = json.loads(out.read_text())
    assert doc == {"Name": "cirr", "RegisteredUsers": {"admin": SECRET}}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644
    assert not (box.path / "orthanc.json.new").exists()


def test_template_owned_by_the_service_user(box):
    nobody = pwd.getpwnam("nobody")
    tpl = box.file("t.in", "x=${ORTHANC_PASSWORD}\n")
    out = box.path / "t.conf"
    f = box.file("services", f"""
[service s]
command = true
restart = never
user = nobody
template = {tpl} {out}
""")
    r = box.run("-f", str(f), env={"ORTHANC_PASSWORD": "pw12345"})
    assert r.returncode == 0, r.stderr()
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert stat.S_IMODE(st.st_mode) == 0o600


def test_missing_required_variable_stops_before_start(box):
    marker = box.path / "started"
    tpl = box.file("t.in", "a\nhost=${ORTHANC_PG_HOST:?set the database host}\n")
    f = box.file("services", f"""
[service s]
command = touch {marker}
template = {tpl} {box.path / 'out'}
""")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip() == f"cirr-init: fatal: {tpl}:2: ORTHANC_PG_HOST: set the database host"
    assert not marker.exists() and not (box.path / "out").exists()


def test_template_syntax_error_names_file_and_line(box):
    tpl = box.file("t.in", "ok\nbad=${NAME|yaml}\n")
    f = box.file("services", f"[service s]\ncommand = true\ntemplate = {tpl} {box.path / 'o'}\n")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip() == f"cirr-init: fatal: {tpl}:2: unknown filter 'yaml' in ${{NAME}}"


def test_privileges_user_groups_umask_workdir(box):
    import tempfile
    out = pathlib.Path(tempfile.mkdtemp(prefix="cirr-priv-"))  # reachable by nobody
    out.chmod(0o777)
    work = out / "work"
    work.mkdir()
    f = box.file("services", f"""
[service s]
command = sh -c "id -u > {out}/id; id -G > {out}/groups; umask > {out}/umask; pwd > {out}/pwd"
user = nobody
umask = 027
workdir = {work}
restart = never
""")
    r = box.run("-f", str(f))
    assert r.returncode == 0, r.stderr()
    nobody = pwd.getpwnam("nobody")
    assert (out / "id").read_text().strip() == str(nobody.pw_uid)
    assert (out / "groups").read_text().split() == [str(nobody.pw_gid)]
    assert (out / "umask").read_text().strip() == "0027"
    assert (out / "pwd").read_text().strip() == str(work)
    import shutil
    shutil.rmtree(out)


def test_unknown_user_is_one_line(box):
    f = box.file("services", "[service s]\ncommand = true\nuser = ghost\n")
    r = box.run("-f", str(f))
    assert r.returncode == 100
    assert r.stderr().strip() == f"cirr-init: fatal: {f}:3: unknown user 'ghost' (not in /etc/passwd)"
