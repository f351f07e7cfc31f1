"""The OpenDose dose dashboards (the Splunk app stacks/opendose/splunk-app/
cirr_dose): its files are what Splunk loads, and every field its searches
read is one cirr-watcher writes for mockpacs' CT Radiation Dose SRs,
indexed by the route the OpenDose stack configures. How searches are read:
tests/support/splunk_app.py."""
import csv
import os
import shutil

import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.support.dcmtk import dcmtk, find
from tests.support.mockpacs import Mock
from tests.support.paths import STACKS
from tests.support.splunk_app import BUILTIN, App, fields_used, splunk_paths
from tests.support.watcher import Watcher, hec_double, stable_orthanc, wait_events

APP = os.path.join(STACKS, "opendose", "splunk-app", "cirr_dose")
ROUTE = "index_instances: orthanc:instances -> index:dose_reports"  # opendose-stack.yml's watcher
STUDIES = 8
REPORT = "X-Ray Radiation Dose Report"
ACQUISITION = f"{REPORT}.CT Acquisition{{}}"


@pytest.fixture(scope="module")
def dose_events(tmp_path_factory):
    """The HEC events of the watcher's index_instances route for the dose
    reports of STUDIES mockpacs CT studies stored in Orthanc."""
    tmp = tmp_path_factory.mktemp("dose-dashboards")
    orthanc, hec = stable_orthanc(tmp), hec_double(indexes=["dose_reports"])
    starting = each_started(lambda cls, *a, **kw: cls(tmp, *a, **kw), stopped_cleanly)
    start = next(starting)
    try:
        m = start(Mock, MOCK_DOSE_REPORTS="true", MOCK_CT_SLICES=2, MOCK_PIXELS="none",
                  MOD_ORTHANC=f"ORTHANC,127.0.0.1,{orthanc.dicom}")
        studies = find(m, "STUDY", "ModalitiesInStudy=CT", "StudyDate=20261001-20261101", "StudyInstanceUID")
        for s in studies[:STUDIES]:  # the dose report is a CT study's series 3
            uid = s["StudyInstanceUID"]
            dcmtk("movescu", "-S", "-aec", "MOCK", "-aem", "ORTHANC", "-k", "QueryRetrieveLevel=SERIES", "-k",
                  f"StudyInstanceUID={uid}", "-k", f"SeriesInstanceUID={uid}.3", "127.0.0.1", str(m.port))
        start(Watcher, ROUTE, hec=hec, orthanc=orthanc)
        yield wait_events(hec, "dose_reports", STUDIES)
    finally:
        try:
            next(starting, None)  # stops mockpacs and the watcher, checks they stopped cleanly
        finally:
            hec.close()
            orthanc.stop()


@pytest.fixture(scope="module")
def produced(dose_events):
    """(leaves, containers, metadata): the Splunk names of the events'
    values and of their objects and lists, over all the reports, and the
    metadata fields an event has (_time, _raw and the envelope's)."""
    leaves, containers = set(), set()
    for e in dose_events:
        assert e["event"]["Modality"] == "SR" and REPORT in e["event"]
        one_leaves, one_containers = splunk_paths(e["event"])
        leaves |= one_leaves
        containers |= one_containers
    metadata = BUILTIN | {k for e in dose_events for k in e if k not in ("event", "time", "_received")}
    return leaves, containers, metadata


def problems_of(app, produced):
    """Every problem of every search of app, and the paths they read."""
    problems, paths = [], set()
    for s in app.searches:
        p = fields_used(app, s.query, *produced)
        problems += [f"{s}: {x}" for x in p.problems]
        paths |= {name for name, kind in p.uses if kind == "path"}
    return problems, paths


def test_the_app_is_what_splunk_loads():
    app = App(APP)  # every .conf and .meta parses as Splunk's format, every XML is well-formed
    assert app.conf["app"]["package"]["id"] == os.path.basename(APP)
    assert app.conf["app"]["ui"]["label"] and app.conf["app"]["launcher"]["version"]
    assert app.conf["app"]["install"]["state"] == "enabled"
    assert app.meta[""]["access"].replace(" ", "").startswith("read:[*]")
    assert app.meta[""]["export"] == "system"  # its macros and lookup serve any app's searches
    assert set(app.views) == {"dose_over_time", "dose_distributions", "dose_above_reference"}
    for name, root in app.views.items():
        assert root.tag in ("dashboard", "form") and root.findtext("label"), name
        for panel in root.iter("panel"):
            for view in [e for e in panel if e.tag in ("chart", "table", "single", "event")]:
                assert view.findtext("search/query"), f"{name}: a {view.tag} without a search"
    assert app.nav.tag == "nav"
    navigated = [v.get("name") for v in app.nav.iter("view")]
    assert set(app.views) <= set(navigated) and app.nav.find("view[@default='true']") is not None
    assert app.macros()["dose_index"] == "index=dose_reports"


def test_every_search_names_the_dose_index_through_the_macro():
    app = App(APP)
    assert len(app.searches) >= 12
    for s in app.searches:
        text = " ".join(s.text.split())
        assert text.startswith("`dose_index`") or text.startswith("| inputlookup dose_reference_levels"), s
        assert "index=" not in text, s
    for name, definition in app.macros().items():
        assert name == "dose_index" or "index=" not in definition, name


def test_the_reference_levels_are_marked_as_examples():
    app = App(APP)
    with open(os.path.join(APP, "lookups", app.conf["transforms"]["dose_reference_levels"]["filename"]),
              newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["protocol", "body_part", "ctdivol_mgy", "dlp_mgycm", "source"]
    for row in rows:
        assert (row["protocol"] or row["body_part"]) and row["source"].startswith("EXAMPLE"), row
        assert float(row["ctdivol_mgy"]) > 0 and float(row["dlp_mgycm"]) > 0, row


def test_every_field_a_dashboard_reads_is_one_the_watcher_writes_for_mockpacs_dose_reports(produced):
    problems, paths = problems_of(App(APP), produced)
    assert not problems, "\n".join(problems)
    # the searches do read the dose values, through the paths doc/watcher.md lists
    assert {f"{ACQUISITION}.CT Dose.Mean CTDIvol", f"{ACQUISITION}.CT Dose.DLP",
            f"{ACQUISITION}.Acquisition Protocol", f"{ACQUISITION}.Target Region",
            f"{REPORT}.CT Accumulated Dose Data.CT Dose Length Product Total", "StationName"} <= paths


def test_each_dropdown_lists_a_field_its_search_outputs(produced):
    app = App(APP)
    inputs = [s for s in app.searches if s.holder.tag == "input"]
    assert len(inputs) == 4
    for s in inputs:
        p = fields_used(app, s.query, *produced)
        assert not p.problems
        for option in ("fieldForLabel", "fieldForValue"):
            assert s.holder.findtext(option) in p.made, (s, option)


def copy_with(tmp_path, relative, old, new):
    """A copy of the app with old replaced by new in one of its files."""
    copy = tmp_path / "cirr_dose"
    shutil.copytree(APP, copy)
    path = copy / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return App(str(copy))


def test_a_misspelt_path_in_a_copy_of_a_dashboard_is_reported(tmp_path, produced):
    app = copy_with(tmp_path, "default/data/ui/views/dose_distributions.xml", "Source Parameters.KVP",
                    "Source Parameters.kVp")
    problems, _ = problems_of(app, produced)
    assert len(problems) == 1, problems
    assert "Tube voltage (kVp)" in problems[0]
    assert f"'{ACQUISITION}.CT Acquisition Parameters.CT X-Ray Source Parameters.kVp'" in problems[0]


def test_a_misspelt_path_in_a_macro_is_reported_in_every_search_using_it(tmp_path, produced):
    app = copy_with(tmp_path, "default/macros.conf", 'path="Target Region"', 'path="Target region"')
    problems, _ = problems_of(app, produced)
    assert problems and all(f"'{ACQUISITION}.Target region'" in p for p in problems)
    assert len(problems) == sum("`dose_acquisitions`" in s.text for s in app.searches)


def test_a_misspelt_field_in_a_copy_of_a_dashboard_is_reported(tmp_path, produced):
    app = copy_with(tmp_path, "default/data/ui/views/dose_over_time.xml", "dc(StudyInstanceUID) AS studies by",
                    "dc(StudyInstanceUid) AS studies by")
    problems, _ = problems_of(app, produced)
    assert len(problems) == 1 and "'StudyInstanceUid'" in problems[0], problems


@pytest.mark.parametrize("query, problem", [
    ("`dose_index` | eval d=X-Ray.b", "field 'X'"),  # "." concatenates: a dotted name must be 'quoted'
    ("`dose_index` | stats count by StationName | table StudyInstanceUID", "field 'StudyInstanceUID'"),
    ("`dose_index` | timechart count by StationName | where count > 1", "after chart/timechart"),
    ("`dose_index` | lookup dose_reference_levels protocl OUTPUT ctdivol_mgy", "no column 'protocl'"),
    ("`dose_index` | spath input=StationName path=x", "not JSON from a known path"),
    ("`dose_index` | top StationName", "command 'top' is not one the extractor knows"),
    ("`dose_index` [search index=other]", "subsearches are not read"),
    ("`dose_index` | table Station*", "wildcard"),
    ("`dose_index` | rename StationName AS scanner | sort num(StationName)", "field 'StationName' was renamed"),
    ("`dose_indx`", "unknown macro"),
])
def test_the_extractor_reports_what_it_cannot_classify(query, problem):
    event = {"StationName": "CT1", "R": {"A": [{"D": 1}]}}
    leaves, containers = splunk_paths(event)
    assert leaves == {"StationName", "R.A{}.D"} and containers == {"R", "R.A", "R.A{}"}
    p = fields_used(App(APP), query, leaves, containers, BUILTIN | {"index"})
    assert any(problem in x for x in p.problems), p.problems


def test_the_extractor_classifies_paths_lookup_outputs_and_made_fields():
    leaves, containers = splunk_paths({"StationName": "CT1", "R": {"A": [{"D": 1, "P": "x"}]}})
    query = ("`dose_index` StationName=CT1 | spath path=R.A{} output=a | mvexpand a | spath input=a path=P "
             "output=protocol | rename \"R.A{}.D\" AS d | eval d2=d*2 | lookup dose_reference_levels protocol "
             "OUTPUT ctdivol_mgy AS ref | stats max(d2) AS top by protocol ref | where top > ref")
    p = fields_used(App(APP), query, leaves, containers, BUILTIN | {"index"})
    assert not p.problems
    assert ("R.A{}.P", "path") in p.uses and ("R.A{}.D", "path") in p.uses and ("R.A{}", "path") in p.uses
    assert ("ref", "lookup") in p.uses and ("top", "made") in p.uses and ("d", "made") in p.uses
    assert ("protocol", "made") in p.uses and ("index", "metadata") in p.uses
