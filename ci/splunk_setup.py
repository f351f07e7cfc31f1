"""Splunk set up without clicks (doc/splunk.md): what the seed's operators
did by hand after every deploy, done on Splunk's management REST API
(port 8089) by an operator on the manager:

    SPLUNK_PASSWORD_FILE=... SPLUNK_HEC_TOKEN_FILE=... python3 -m ci.splunk_setup

It creates the indexes the stacks write (SPLUNK_INDEXES), enables the HTTP
Event Collector with its SSL as SPLUNK_HEC_SSL says, creates (or corrects)
the watchers' HEC token with the value of the secret, its allowed indexes
and indexer acknowledgement off, and sets props.conf TRUNCATE of the watchers' sourcetype (_json).
It reads before it writes: a second run changes nothing and says so. One
line per thing it checks; the password and the token are never printed.

Exit codes: 0 done; 100 bad configuration (a variable, a secret file, or
the admin password Splunk refuses); 1 Splunk unreachable or an answer it
should not give."""
import base64
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

HEC = "/servicesNS/admin/splunk_httpinput/data/inputs/http"
PROPS = "/servicesNS/nobody/system/configs/conf-props"
INDEXES = "/services/data/indexes"
INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

# name, default, meaning (None: required)
VARIABLES = [
    ("SPLUNK_MGMT_URL", "https://splunk:8089", "Splunk's management API"),
    ("SPLUNK_USER", "admin", "the administrator Splunk's API is called as"),
    ("SPLUNK_PASSWORD_FILE", None, "a file holding the administrator's password (a Docker secret)"),
    ("SPLUNK_MGMT_CA", "", "CA bundle that verifies the API's certificate (empty: the system's)"),
    ("SPLUNK_MGMT_INSECURE", "false", "true: do not verify the API's certificate (Splunk's own self-signed one)"),
    ("SPLUNK_INDEXES", "dicom,pacs,dose_reports,dose_incidents", "the indexes to create, comma list"),
    ("SPLUNK_HEC_SSL", "false", "true: HEC speaks HTTPS (enableSSL=1); false: HTTP, as the seed ran it"),
    ("SPLUNK_HEC_TOKEN_NAME", "cirr", "the HEC token's name"),
    ("SPLUNK_HEC_TOKEN_FILE", None, "a file holding the token's value, a GUID (the secret splunk_hec_token)"),
    ("SPLUNK_HEC_INDEX", "", "the token's default index (empty: the first of SPLUNK_INDEXES)"),
    ("SPLUNK_SOURCETYPE", "_json", "the watchers' sourcetype (WATCH_HEC_SOURCETYPE): its props.conf stanza"),
    ("SPLUNK_JSON_TRUNCATE", "500000", "props.conf TRUNCATE of that sourcetype: bytes of a JSON event kept"),
]


class ConfigError(Exception):
    """Bad configuration: exit 100."""


class SplunkError(Exception):
    """Splunk unreachable, or an answer it should not give: exit 1."""


def boolean(name, value):
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise ConfigError(f"{name}={value}: true or false")


def read_secret(name, path):
    try:
        with open(path) as f:
            value = f.read().strip()
    except OSError as e:
        raise ConfigError(f"{name}={path}: {e.strerror}") from None
    if not value:
        raise ConfigError(f"{name}={path}: the file is empty")
    return value


def load(environ):
    """The configuration from environ, checked; ConfigError names the variable."""
    c = {name: environ.get(name, default if default is not None else "") for name, default, _ in VARIABLES}
    for name, default, _ in VARIABLES:
        if default is None and not c[name]:
            raise ConfigError(f"{name} is required")
    url = urllib.parse.urlsplit(c["SPLUNK_MGMT_URL"])
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"SPLUNK_MGMT_URL={c['SPLUNK_MGMT_URL']}: https://host:port")
    c["indexes"] = [i for i in c["SPLUNK_INDEXES"].split(",") if i]
    for i in c["indexes"] or [""]:
        if not INDEX_NAME.match(i):
            raise ConfigError(f"SPLUNK_INDEXES={c['SPLUNK_INDEXES']}: '{i}' is no index name (a-z, 0-9, _ and -)")
    c["hec_index"] = c["SPLUNK_HEC_INDEX"] or c["indexes"][0]
    if c["hec_index"] not in c["indexes"]:
        raise ConfigError(f"SPLUNK_HEC_INDEX={c['hec_index']}: not one of SPLUNK_INDEXES")
    if not re.fullmatch(r"[1-9][0-9]{0,8}", c["SPLUNK_JSON_TRUNCATE"]):
        raise ConfigError(f"SPLUNK_JSON_TRUNCATE={c['SPLUNK_JSON_TRUNCATE']}: a number of bytes")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", c["SPLUNK_HEC_TOKEN_NAME"]):
        raise ConfigError(f"SPLUNK_HEC_TOKEN_NAME={c['SPLUNK_HEC_TOKEN_NAME']}: letters, digits, _ and -")
    if not re.fullmatch(r"[A-Za-z0-9_:.-]{1,100}", c["SPLUNK_SOURCETYPE"]):
        raise ConfigError(f"SPLUNK_SOURCETYPE={c['SPLUNK_SOURCETYPE']}: letters, digits, _ : . and -")
    c["hec_ssl"] = boolean("SPLUNK_HEC_SSL", c["SPLUNK_HEC_SSL"])
    c["insecure"] = boolean("SPLUNK_MGMT_INSECURE", c["SPLUNK_MGMT_INSECURE"])
    c["password"] = read_secret("SPLUNK_PASSWORD_FILE", c["SPLUNK_PASSWORD_FILE"])
    c["token"] = read_secret("SPLUNK_HEC_TOKEN_FILE", c["SPLUNK_HEC_TOKEN_FILE"])
    if not GUID.match(c["token"]):
        raise ConfigError(f"SPLUNK_HEC_TOKEN_FILE={c['SPLUNK_HEC_TOKEN_FILE']}: the token is not a GUID")
    return c


class Api:
    """Splunk's management API: JSON answers, Basic auth, errors as exceptions."""

    def __init__(self, c):
        self.base = c["SPLUNK_MGMT_URL"].rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{c['SPLUNK_USER']}:{c['password']}".encode()).decode()
        self.context = ssl.create_default_context(cafile=c["SPLUNK_MGMT_CA"] or None)
        if c["insecure"]:
            self.context.check_hostname, self.context.verify_mode = False, ssl.CERT_NONE

    def call(self, method, path, params=None):
        """(status, JSON answer) of a 2xx, 404 or 409 (the caller's to
        judge); any other status raises."""
        url = f"{self.base}{urllib.parse.quote(path)}?output_mode=json"
        data = urllib.parse.urlencode(params).encode() if params is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={"Authorization": self.auth})
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise SplunkError(f"{self.base}: {getattr(e, 'reason', e)}") from None
        if status == 401:
            raise ConfigError(f"{self.base}: Splunk refused the password of SPLUNK_PASSWORD_FILE (HTTP 401)")
        if status in (404, 409):
            return status, {}
        raise SplunkError(f"{method} {path}: HTTP {status}: {messages(body)}")


def messages(body):
    try:
        return "; ".join(m.get("text", "") for m in json.loads(body).get("messages", [])) or "(no message)"
    except (ValueError, AttributeError):
        return "(no JSON answer)"


def content(answer):
    return answer["entry"][0]["content"]


def ensure_index(api, name):
    status, _ = api.call("GET", f"{INDEXES}/{name}")
    if status == 200:
        return f"index {name}: exists", False
    status, _ = api.call("POST", INDEXES, {"name": name, "datatype": "event"})
    return (f"index {name}: exists", False) if status == 409 else (f"index {name}: created", True)


def ensure_hec_enabled(api, ssl_on):
    want = {"disabled": "0", "enableSSL": "1" if ssl_on else "0"}
    _, answer = api.call("GET", f"{HEC}/http")
    have = content(answer)
    if all(str(have.get(k)) == v for k, v in want.items()):
        return f"HEC: enabled, SSL {'on' if ssl_on else 'off'}", False
    api.call("POST", f"{HEC}/http", want)
    return f"HEC: enabled, SSL {'on' if ssl_on else 'off'} (was disabled={have.get('disabled')}, " \
           f"enableSSL={have.get('enableSSL')})", True


def as_list(value):
    return [i for i in value.split(",") if i] if isinstance(value, str) else list(value or [])


def ensure_token(api, c):
    name = c["SPLUNK_HEC_TOKEN_NAME"]
    want = {"index": c["hec_index"], "indexes": ",".join(c["indexes"]), "useACK": "0", "disabled": "0"}
    status, answer = api.call("GET", f"{HEC}/{name}")
    if status == 200:
        have = content(answer)
        if have.get("token") == c["token"]:
            differ = [k for k in want if (sorted(as_list(have.get(k))) != sorted(c["indexes"]) if k == "indexes"
                                          else str(have.get(k)) != want[k])]
            if not differ:
                return f"HEC token {name}: as configured", False
            api.call("POST", f"{HEC}/{name}", want)
            return f"HEC token {name}: updated {', '.join(differ)}", True
        # Splunk does not change a token's value in place: replace it
        api.call("DELETE", f"{HEC}/{name}")
        api.call("POST", HEC, {"name": name, "token": c["token"], **want})
        return f"HEC token {name}: replaced (its value was not the secret's)", True
    api.call("POST", HEC, {"name": name, "token": c["token"], **want})
    return f"HEC token {name}: created (indexes {want['indexes']}, acknowledgement off)", True


def ensure_truncate(api, sourcetype, limit):
    status, answer = api.call("GET", f"{PROPS}/{sourcetype}")
    if status == 404:
        api.call("POST", PROPS, {"name": sourcetype, "TRUNCATE": limit})
        return f"props [{sourcetype}] TRUNCATE: {limit} (stanza created)", True
    have = str(content(answer).get("TRUNCATE", ""))
    if have == limit:
        return f"props [{sourcetype}] TRUNCATE: {limit}", False
    api.call("POST", f"{PROPS}/{sourcetype}", {"TRUNCATE": limit})
    return f"props [{sourcetype}] TRUNCATE: {limit} (was {have or 'the default, 10000'})", True


def setup(c, out):
    """Every step, one line each; the number of changes made."""
    api = Api(c)
    steps = [lambda i=i: ensure_index(api, i) for i in c["indexes"]]
    steps += [lambda: ensure_hec_enabled(api, c["hec_ssl"]), lambda: ensure_token(api, c),
              lambda: ensure_truncate(api, c["SPLUNK_SOURCETYPE"], c["SPLUNK_JSON_TRUNCATE"])]
    changes = 0
    for step in steps:
        line, changed = step()
        changes += changed
        print(f"splunk-setup: {line}{'' if changed else ', unchanged'}", file=out, flush=True)
    return changes


def usage(out):
    print("usage: python3 -m ci.splunk_setup [--help]\n\nEnvironment:", file=out)
    for name, default, meaning in VARIABLES:
        print(f"  {name} ({'required' if default is None else 'default ' + (default or 'empty')})\n      {meaning}",
              file=out)


def main(argv=None, environ=None, out=sys.stdout, err=sys.stderr):
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--help"], ["-h"]):
        usage(out)
        return 0
    if argv:
        print(f"splunk-setup: unknown argument {argv[0]} (see --help)", file=err)
        return 100
    try:
        c = load(os.environ if environ is None else environ)
        changes = setup(c, out)
    except ConfigError as e:
        print(f"splunk-setup: {e}", file=err)
        return 100
    except SplunkError as e:
        print(f"splunk-setup: {e}", file=err)
        return 1
    print(f"splunk-setup: {changes} change{'' if changes == 1 else 's'} made" if changes
          else "splunk-setup: nothing to change, Splunk was already set up", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
