"""Every program's --help and the configuration section of its manual
list the same environment variables.

--help prints the program's environment table (lib/envconf.c,
envconf_help) after a line "Environment:", one variable a line:

    Environment:
      NAME (default X) [lo-hi]
          its meaning

The manual, doc/<name>.md, has a section "## Configuration" (up to the
next "## " heading). The rules:

1. Every NAME --help prints appears in backticks in that section: `NAME`
   or `NAME=value`.
2. Every variable the section lists is printed by --help. Listed means:
   in backticks in the first cell of a table row, or at the start of a
   list item (several names may share one: `A` / `B`).
3. Two kinds of listed variables are not looked up in --help:
   - families, written with a placeholder in angle brackets
     (`MUX_DEST_<NAME>`, `ORTHANC_MOD_<N>`): they are walked by prefix,
     not held in the environment table;
   - variables read by another program (cirr-init's templates and
     secrets, the server the program sets up): they go under a
     subheading of the section that starts with "### Read by" and does
     not go on with the program's own name ("### Read by Orthanc",
     "### Read by others in the image"). A name rule 1 asks for does not
     count when it appears only there. "### Read by <program>" (for
     example "### Read by cirr-pg-init: its table") is the program's
     own part, like the rest of the section.

The binaries come from the variables the Makefile sets (make
test-manuals); a variable that is not set fails the test, naming it."""
import os
import re
import subprocess

import pytest

from tests.support.paths import REPO

PROGRAMS = {  # program: (variable naming its binary, manual)
    "cirr-init": ("CIRR_INIT", "doc/cirr-init.md"),
    "cirr-mux": ("CIRR_MUX", "doc/mux.md"),
    "cirr-mockpacs": ("CIRR_MOCKPACS", "doc/mockpacs.md"),
    "cirr-orthanc-setup": ("CIRR_ORTHANC_SETUP", "doc/orthanc.md"),
    "cirr-pg-init": ("CIRR_PG_INIT", "doc/postgres.md"),
    "cirr-verify": ("CIRR_VERIFY", "doc/verify.md"),
    "cirr-watcher": ("CIRR_WATCHER", "doc/watcher.md"),
    "cirr-splunk-setup": ("CIRR_SPLUNK_SETUP", "doc/splunk.md"),
    "cirr-bridge": ("CIRR_BRIDGE", "doc/bridge.md"),
    "cirr-anon": ("CIRR_ANON", "doc/anon.md"),
    "cirr-pull": ("CIRR_PULL", "doc/pull.md"),
}
VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*(?:<[A-Za-z_]+>[A-Z0-9_]*)*$")
BACKTICKED = re.compile(r"`([^`]+)`")
LIST_ITEM_NAMES = re.compile(r"^\s*[-*]\s+((?:`[^`]+`(?:\s*(?:/|,|or|and)\s*)?)+)")


def help_variables(text):
    """The names in the "Environment:" part(s) of a --help text, in order."""
    names, inside = [], False
    for line in text.splitlines():
        if line.rstrip() == "Environment:":
            inside = True
        elif inside and line.startswith("  ") and not line.startswith("   "):
            names.append(line.split()[0])
        elif inside and line.strip() and not line.startswith(" ") and line.rstrip().endswith(":"):
            pass  # a sub-heading of the same part ("Per destination ...:")
        elif inside and not line.startswith("   "):
            inside = False  # a blank line or the next part
    return names


def variable_name(span):
    """`NAME` or `NAME=value` -> NAME; anything else (a value, a path) -> None."""
    name = span.split("=", 1)[0].strip()
    return name if VARIABLE.match(name) else None


def configuration(manual, program):
    """The "## Configuration" section as (the program's own lines, lines
    under "### Read by" someone else), or None when the manual has none."""
    own, others, where = [], [], None
    for line in manual.splitlines():
        if line.startswith("## "):
            where = own if line.strip() == "## Configuration" else None
        elif where is not None and line.startswith("### "):
            reader = re.match(r"read by\s+(\S*)", line[4:].strip(), re.I)
            where = others if reader and not re.match(re.escape(program) + r"\b", reader.group(1)) else own
        elif where is not None:
            where.append(line)
    return (own, others) if own or others else None


def mentioned(lines):
    """Every variable name in backticks in lines (rule 1)."""
    return {n for line in lines for n in map(variable_name, BACKTICKED.findall(line)) if n}


def listed(lines):
    """The variables lines list (rule 2), in order."""
    out = []
    for line in lines:
        if line.lstrip().startswith("|"):
            spans = BACKTICKED.findall(line.strip().strip("|").split("|")[0])
        else:
            m = LIST_ITEM_NAMES.match(line)
            spans = BACKTICKED.findall(m.group(1)) if m else []
        out += [n for n in map(variable_name, spans) if n and n not in out]
    return out


def run_help(program, variable):
    binary = os.environ.get(variable)
    if not binary:
        pytest.fail(f"{variable} is not set: set it to the {program} binary (make test-manuals sets it)")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{variable}={binary}: not an executable file (build {program} first)")
    try:
        r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10,
                           env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"{program} --help was still running after 10 s (it should print and exit 0)")
    if r.returncode != 0:
        pytest.fail(f"{program} --help exited {r.returncode}, not 0: {r.stderr.strip()}")
    if "Environment:" not in r.stdout.splitlines():
        pytest.fail(f"{program} --help prints no 'Environment:' part (envconf_help) on stdout:\n{r.stdout}")
    return r.stdout


@pytest.mark.parametrize("program", PROGRAMS)
def test_help_and_manual_list_the_same_variables(program):
    variable, doc = PROGRAMS[program]
    names = help_variables(run_help(program, variable))
    assert names, f"{program} --help: its Environment part lists no variable"
    path = os.path.join(REPO, doc)
    assert os.path.exists(path), f"{program}: its manual {doc} is missing"
    section = configuration(open(path, encoding="utf-8").read(), program)
    assert section, f"{program}: {doc} has no '## Configuration' section"
    own, _ = section
    undocumented = [n for n in names if n not in mentioned(own)]
    assert not undocumented, (f"{program}: --help prints {', '.join(undocumented)}, which the Configuration "
                              f"section of {doc} does not name in backticks")
    unknown = [n for n in listed(own) if "<" not in n and n not in names]
    assert not unknown, (f"{program}: the Configuration section of {doc} lists {', '.join(unknown)}, which "
                         f"{program} --help does not print (a family is written with a placeholder, "
                         "`NAME_<N>`; a variable another program reads goes under '### Read by ...')")


def test_the_rules_on_an_example():
    text = ("usage: x [--help]\n\nEnvironment:\n  X_PORT (default 5252) [1-65535]\n      DICOM port\n"
            "  X_ALLOW (required)\n      callers\n\nExit codes: 0 ok\n")
    assert help_variables(text) == ["X_PORT", "X_ALLOW"]
    manual = ("# x\n## Configuration\n| variable | default | meaning |\n|---|---|---|\n"
              "| `X_PORT` / `X_ALLOW` | `5252` / `CIRRX` | ports; see `X_OTHER=1` |\n"
              "| `X_DEST_<NAME>` | — | `AET,host,port` |\n- `X_LIST` (default `ABC`): a list item\n"
              "### Read by Orthanc\n| `ORTHANC_NAME` | `cirr` | its name |\n"
              "### Read by x: its table\n| `X_MORE` | `1` | more |\n## Exit codes\n| `X_NOT` | - |\n")
    own, others = configuration(manual, "x")
    assert listed(own) == ["X_PORT", "X_ALLOW", "X_DEST_<NAME>", "X_LIST", "X_MORE"]
    assert {"X_PORT", "X_ALLOW", "X_OTHER", "CIRRX", "X_LIST", "ABC"} <= mentioned(own)
    assert listed(others) == ["ORTHANC_NAME"] and "X_NOT" not in mentioned(own + others)
