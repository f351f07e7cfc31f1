"""A throwaway certificate authority for one demo or system-test run, made
with the openssl CLI: its CA certificate (given to the SIREN watchers as the
secret splunk_ca) and server certificates it signs (the HEC double's, for
the name the watchers use; Traefik's websecure one). Never committed: they
live in the run's data folder and go with it."""
import os
import subprocess


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {args[0]}: {r.stderr.strip()}")


def make_ca(folder, name="cirr demo CA"):
    """(ca.pem, ca-key.pem) in folder: a self-signed CA valid for 2 days."""
    cert, key = os.path.join(folder, "ca.pem"), os.path.join(folder, "ca-key.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", key, "-out", cert)
    os.chmod(key, 0o600)
    return cert, key


def make_server_cert(folder, ca, host):
    """(cert.pem, key.pem) for the DNS name host, signed by ca (make_ca's
    pair). A name, not an IP: mbedTLS 2.28 does not match IP subjectAltNames."""
    cert, key = os.path.join(folder, f"{host}.pem"), os.path.join(folder, f"{host}-key.pem")
    csr, ext = os.path.join(folder, f"{host}.csr"), os.path.join(folder, f"{host}.ext")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{host}\nextendedKeyUsage=serverAuth\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n")
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={host}", "-keyout", key, "-out", csr)
    os.chmod(key, 0o600)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", cert)
    os.remove(csr)
    return cert, key


def read(path):
    with open(path) as f:
        return f.read()
