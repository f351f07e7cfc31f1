"""make demo STACK=opendose, and its system test: the OpenDose CIRR on a
single-node swarm. mockpacs, standing in for the CT scanners, pushes CT
studies each ending with its Radiation Dose SR through the dose mux to the
dose Orthanc; the watcher (route index_instances) indexes every instance
into the HEC double and PostgreSQL's dose_reports table. What arrived
where: facts(), printed by summary()."""
from ci.demo_common import print_head, wait_for
from ci.swarm import env_example

STACKS = [("opendose", ["opendose/opendose-stack.yml", "test/opendose-override.yml", "test/opendose-demo.yml"]),
          ("mock", ["test/mock-opendose-stack.yml"])]
DOSE = "opendose_dose"
REPORT = "X-Ray Radiation Dose Report"


def env(push_limit, ct_slices, studies=10000, min_free_mb=200):
    """opendose.env.example with the single-node values: any caller at the
    mux, mockpacs pushing push_limit studies at 3600 simulated hours per
    hour, HEC over plain HTTP to the double (SPLUNK_HEC_ADDRESS is set once
    the double runs)."""
    return dict(env_example("opendose/opendose.env.example"), MUX_ALLOW="*", MUX_MIN_FREE_MB=str(min_free_mb),
                SPLUNK_HEC_SCHEME="http", MOCK_STUDIES=str(studies), MOCK_PUSH_SPEEDUP="3600",
                MOCK_PUSH_LIMIT=str(push_limit), MOCK_CT_SLICES=str(ct_slices))


def deploy(c, log):
    for stack, files in STACKS:
        log(f"deploying the {stack} stack ({', '.join(files)})")
        c.deploy(stack, files)
        c.wait_healthy(stack)


def pg_rows(c, table):
    """(rows, rows holding a dose report) of the watcher's table."""
    db = c.env.get("WATCH_PG_DATABASE") or "dose_index"
    out = c.pg_query("opendose_postgres", db, f"SELECT count(*), count(*) FILTER (WHERE event ? '{REPORT}') "
                                              f'FROM "{table}"')
    rows, dose = out.strip().split("|")
    return int(rows), int(dose)


def dose_of(event):
    """(scanner, protocol, [(acquisition protocol, CTDIvol mGy, DLP mGy.cm)],
    total DLP mGy.cm) of an RDSR's event (the field paths of doc/watcher.md),
    or None for an instance that is no dose report."""
    report = event.get(REPORT)
    if not isinstance(report, dict):
        return None
    acquisitions = [(a.get("Acquisition Protocol", "?"), (a.get("CT Dose") or {}).get("Mean CTDIvol"),
                     (a.get("CT Dose") or {}).get("DLP")) for a in report.get("CT Acquisition") or []]
    dlp = (report.get("CT Accumulated Dose Data") or {}).get("CT Dose Length Product Total")
    scanner = event.get("StationName") or event.get("ManufacturerModelName") or "?"
    return scanner, event.get("StudyDescription") or "?", acquisitions, dlp


def facts(c, events):
    """What arrived where: pushed studies and instances, the dose Orthanc's
    instances, the events the double accepted (per SOP instance), the dose
    events by study, the watcher's table rows."""
    pushed = c.pushed_studies()
    dose = {}
    sops = set()
    for e in events:
        ev = e.get("event") or {}
        sops.add(ev.get("SOPInstanceUID"))
        d = dose_of(ev)
        if d:
            dose[ev.get("StudyInstanceUID")] = d
    return {"pushed_studies": len(pushed), "pushed_instances": sum(pushed.values()),
            "orthanc_instances": len(c.archive_api("/instances", service=DOSE)),
            "indexed_instances": len(sops - {None}), "events": len(events), "dose": dose,
            **dict(zip(("pg_rows", "pg_dose_rows"), pg_rows(c, c.env.get("SPLUNK_INDEX_DOSE") or "dose_reports")))}


def wait_arrived(c, events, target, log, timeout=300):
    """Until mockpacs has pushed target studies and every one of their
    instances is in the dose Orthanc, in the double and in PostgreSQL;
    events() gives the double's events so far. The last facts."""
    def step():
        f = facts(c, events())
        line = (f"mockpacs pushed {f['pushed_studies']} of {target} studies ({f['pushed_instances']} instances); "
                f"dose Orthanc {f['orthanc_instances']}, HEC double {f['indexed_instances']}, "
                f"PostgreSQL {f['pg_rows']} instances; {len(f['dose'])} dose reports")
        n = f["pushed_instances"]
        return f["pushed_studies"] >= target and n == f["orthanc_instances"] == f["indexed_instances"] == f["pg_rows"], \
            line, f
    return wait_for(step, timeout, log, "opendose")


def summary(c, f, notes):
    """Prints the facts f; notes: the demo's lines on the HEC double and the admin stack."""
    print_head(c, "cirr demo (OpenDose): summary", STACKS)
    print(f"studies pushed by mockpacs (the CT scanners) through the mux: {f['pushed_studies']}, "
          f"{f['pushed_instances']} instances")
    print(f"instances in the dose Orthanc:                    {f['orthanc_instances']}")
    print(f"instances indexed (route index_instances):        {f['indexed_instances']} in the HEC double "
          f"({f['events']} events), {f['pg_rows']} rows in PostgreSQL's dose_reports table "
          f"({f['pg_dose_rows']} of them dose reports)")
    print(f"dose events (Radiation Dose SRs) with CTDIvol and DLP: {len(f['dose'])}")
    print()
    print("| study | scanner | protocol | acquisitions: CTDIvol (mGy), DLP (mGy.cm) | DLP total (mGy.cm) |")
    print("|---|---|---|---|---|")
    for study, (scanner, protocol, acquisitions, dlp) in sorted(f["dose"].items()):
        each = "; ".join(f"{name} {ctdi}, {d}" for name, ctdi, d in acquisitions)
        print(f"| {study} | {scanner} | {protocol} | {each} | {dlp} |")
    print()
    for line in notes:
        print(line)
    print("DICOM:  the dose mux on port 5252 (AE DOSEMUX), the dose Orthanc DOSE inside the stack")
    print()
    print("tear it all down: make demo-down")
