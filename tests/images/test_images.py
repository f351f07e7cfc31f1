"""cirr/orthanc and cirr/postgres: reproducible, loadable, healthy, and
configured from the environment (issue 3)."""
import base64
import filecmp
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from tests.support.containers import IMAGES, docker
from tests.support.dicomgen import make_instances
from tests.support.paths import REPO

FAST_HEALTH = ("--health-interval", "1s", "--health-start-period", "120s")
PASSWORD = 'a"b\\c $d e'  # quote, backslash, dollar and spaces


def test_two_builds_are_byte_identical(tmp_path):
    images = sorted(f"images/{d}" for d in os.listdir(os.path.join(REPO, "images"))
                    if os.path.exists(os.path.join(REPO, "images", d, "image.conf")))
    out = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "rootfs/imagebuild.py"), "--out",
                          str(tmp_path), *images], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    for name in sorted(os.listdir(IMAGES)):
        assert filecmp.cmp(tmp_path / name, os.path.join(IMAGES, name), shallow=False), name


def test_archives_hold_docker_and_oci_layouts():
    import tarfile
    with tarfile.open(os.path.join(IMAGES, "orthanc.tar")) as t:
        names = t.getnames()
        assert {"manifest.json", "index.json", "oci-layout"} <= set(names)
        manifest = json.load(t.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == ["cirr/orthanc:0.1.0", "cirr/orthanc:latest"]
        assert all(m.mtime == t.getmember("manifest.json").mtime for m in t.getmembers())
    digests = open(os.path.join(IMAGES, "DIGESTS")).read()
    assert "cirr/orthanc:0.1.0 sha256:" in digests and "cirr/postgres:0.1.0 sha256:" in digests
    sbom = open(os.path.join(IMAGES, "orthanc.sbom")).read()
    assert "\northanc " in sbom and "\nlibdcmtk17 " in sbom and "\nbusybox-static " in sbom


def test_entrypoint_labels_and_healthcheck(dk):
    for image in ("cirr/orthanc", "cirr/postgres", "cirr/mockpacs", "cirr/mux"):
        cfg = json.loads(docker("image", "inspect", image).stdout)[0]["Config"]
        assert cfg["Entrypoint"] == ["/sbin/cirr-init"]
        assert cfg["Healthcheck"]["Test"] == ["CMD", "/sbin/cirr-init", "health"]
        assert cfg["Labels"]["org.opencontainers.image.version"] == "0.1.0"
        assert {"org.opencontainers.image.source", "org.opencontainers.image.revision",
                "org.opencontainers.image.created"} <= set(cfg["Labels"])


def psql(ip, password, sql, db="postgres", user="postgres"):
    r = subprocess.run(["psql", "-h", ip, "-U", user, "-d", db, "-Atc", sql], capture_output=True,
                       text=True, env=dict(os.environ, PGPASSWORD=password), timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_postgres_databases_password_file_and_autotune(dk, tmp_path):
    secret = tmp_path / "pgpw"
    secret.write_text("file-Pass-5\n")
    os.chmod(secret, 0o644)
    net = dk.network()
    pg = dk.run("cirr/postgres", "-v", f"{secret}:/run/secrets/pgpw:ro", "--memory", "256m",
                *FAST_HEALTH, network=net,
                env={"POSTGRES_PASSWORD_FILE": "/run/secrets/pgpw", "POSTGRES_DATABASES": "a,b,c",
                     "POSTGRES_AUTOTUNE": "1"})
    dk.wait_healthy(pg)
    ip = dk.ip(pg)
    assert {"a", "b", "c", "postgres"} <= set(psql(ip, "file-Pass-5", "SELECT datname FROM pg_database"))
    assert psql(ip, "file-Pass-5", "SHOW shared_buffers") == ["64MB"]  # 256 MiB / 4
    assert "file-Pass-5" not in dk.logs(pg)


def test_postgres_refuses_to_start_without_a_password(dk):
    pg = dk.run("cirr/postgres")
    assert dk.wait_exited(pg) == 100
    assert "POSTGRES_PASSWORD is not set" in dk.logs(pg)


def rest(ip, path, password, user="admin"):
    req = urllib.request.Request(f"http://{ip}:8042{path}")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def storescu(ip, folder):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    r = subprocess.run(["storescu", "-aec", "ORTHANC", ip, "4242", *files], capture_output=True,
                       text=True, env=dict(os.environ, TCP_NODELAY="1"), timeout=300)
    assert r.returncode == 0, r.stderr


def test_orthanc_on_postgres_keeps_50_instances_across_restarts(dk, tmp_path):
    net = dk.network()
    pgdata = dk.volume()
    pg = dk.run("cirr/postgres", "-v", f"{pgdata}:/var/lib/postgresql/data", *FAST_HEALTH,
                network=net, env={"POSTGRES_PASSWORD": "pg-pw-1"})
    orthanc = dk.run("cirr/orthanc", *FAST_HEALTH, network=net, env={
        "ORTHANC_PASSWORD": PASSWORD, "ORTHANC_PG_ENABLED": "true", "ORTHANC_PG_HOST": pg,
        "ORTHANC_PG_PASSWORD": "pg-pw-1", "ORTHANC_PG_DATABASE": "archive",
        "ORTHANC_PG_STORE_DICOM": "true", "ORTHANC_NAME": "cirr-test"})
    dk.wait_healthy(pg)
    dk.wait_healthy(orthanc)
    uids = make_instances(str(tmp_path / "study"), 50, patient="CIRR^TEST", patient_id="MRN0001")
    ip = dk.ip(orthanc)
    storescu(ip, str(tmp_path / "study"))
    assert len(rest(ip, "/instances", PASSWORD)) == 50
    assert rest(ip, "/system", PASSWORD)["Name"] == "cirr-test"
    try:
        rest(ip, "/system", "wrong")
        raise AssertionError("a wrong password was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    docker("restart", pg, orthanc, timeout=120)
    dk.wait_healthy(pg)
    dk.wait_healthy(orthanc)
    ip = dk.ip(orthanc)
    assert len(rest(ip, "/instances", PASSWORD)) == 50
    found = {rest(ip, f"/instances/{i}/simplified-tags", PASSWORD)["SOPInstanceUID"]
             for i in rest(ip, "/instances", PASSWORD)}
    assert found == set(uids)
    # the index lives in PostgreSQL: instance rows (resourcetype 3) and DICOM files
    rows = psql(dk.ip(pg), "pg-pw-1", "SELECT count(*) FROM resources WHERE resourcetype = 3",
                db="archive")
    assert rows == ["50"]
    assert PASSWORD not in dk.logs(orthanc)


def test_orthanc_refuses_to_start_without_a_password(dk):
    c = dk.run("cirr/orthanc")
    assert dk.wait_exited(c) == 100
    assert "ORTHANC_PASSWORD is not set" in dk.logs(c)


def test_orthanc_password_from_run_secrets(dk, tmp_path):
    secret = tmp_path / "ORTHANC_PASSWORD"
    secret.write_text("from-secret-7\n")
    os.chmod(secret, 0o644)
    c = dk.run("cirr/orthanc", "-v", f"{secret}:/run/secrets/ORTHANC_PASSWORD:ro", *FAST_HEALTH)
    dk.wait_healthy(c)
    assert rest(dk.ip(c), "/system", "from-secret-7")["DicomAet"] == "ORTHANC"
    assert "from-secret-7" not in dk.logs(c)


def test_mockpacs_image_is_healthy_and_answers(dk):
    c = dk.run("cirr/mockpacs", *FAST_HEALTH, env={"MOCK_STUDIES": "2000", "MOCK_AET": "PACS"})
    dk.wait_healthy(c)
    ip = dk.ip(c)
    r = subprocess.run(["echoscu", "-aec", "PACS", ip, "7272"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    with urllib.request.urlopen(f"http://{ip}:8080/status", timeout=10) as resp:
        assert json.loads(resp.read())["studies"] == 2000
    cfg = json.loads(docker("image", "inspect", "cirr/mockpacs").stdout)[0]["Config"]
    assert cfg["User"] == "0" and "7272/tcp" in cfg["ExposedPorts"]
    assert "user = cirr" in docker("run", "--rm", "--entrypoint", "/bin/cat", "cirr/mockpacs",
                                   "/etc/cirr/services").stdout


def test_mux_image_forwards_as_non_root_with_its_spool_on_a_volume(dk):
    net = dk.network()
    spool = dk.volume()
    ws = dk.run("cirr/mockpacs", *FAST_HEALTH, network=net, env={"MOCK_STUDIES": "0", "MOCK_AET": "WS"})
    mux = dk.run("cirr/mux", "-v", f"{spool}:/var/spool/cirr-mux", *FAST_HEALTH, network=net,
                 env={"MUX_ALLOW": "*", "MUX_DEST_WS": f"WS,{ws},7272", "MUX_MIN_FREE_MB": "1"})
    dk.wait_healthy(ws)
    dk.wait_healthy(mux)
    with tempfile.TemporaryDirectory() as tmp:
        make_instances(tmp, 5, patient="CIRR^TEST", patient_id="MRN0001")
        r = subprocess.run(["storescu", "-aec", "CIRRMUX", dk.ip(mux), "5252",
                            *sorted(os.path.join(tmp, f) for f in os.listdir(tmp))], capture_output=True,
                           text=True, env=dict(os.environ, TCP_NODELAY="1"), timeout=60)
        assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://{dk.ip(ws)}:8080/status", timeout=10) as resp:
            if json.loads(resp.read())["stored"] == 5:
                break
        time.sleep(0.3)
    else:
        raise AssertionError("the workstation did not get 5 instances")
    top = docker("exec", mux, "/bin/ps", "-o", "user,args").stdout
    assert any(l.split()[0] in ("cirr", "1000") and "cirr-mux" in l for l in top.splitlines()), top
