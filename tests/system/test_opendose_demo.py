"""make demo STACK=opendose as a system test (issue 15): the opendose stack
and its mock site deploy on the single-node swarm with the test overrides,
their services become healthy, and mockpacs' CT studies with their
Radiation Dose SRs arrive in the dose Orthanc, in the HEC double (route
index_instances) and in PostgreSQL, the dose events carrying CTDIvol and
DLP. A few small studies: the summary's counts, asserted."""
import pytest

from ci import demo_opendose
from tests.system.demo_cluster import demo_cluster, events_of, log

STUDIES = 3
ENV = demo_opendose.env(push_limit=STUDIES, ct_slices=3, studies=200, min_free_mb=100)


@pytest.fixture(scope="module")
def arrived():
    with demo_cluster(ENV) as (c, double, _):
        demo_opendose.deploy(c, log)
        facts = demo_opendose.wait_arrived(c, events_of(double), STUDIES, log)
        yield c, facts


def test_every_service_is_healthy(arrived):
    c, _ = arrived
    services = [s for stack, _ in demo_opendose.STACKS for s in c.services(stack)]
    assert sorted(services) == ["mock_mockpacs", "opendose_dose", "opendose_mux", "opendose_postgres",
                                "opendose_watcher"]
    assert {s: c.health(s) for s in services} == {s: "healthy" for s in services}


def test_every_pushed_instance_is_in_the_dose_orthanc_the_double_and_postgresql(arrived):
    _, f = arrived
    assert f["pushed_studies"] == STUDIES
    assert f["pushed_instances"] == STUDIES * (1 + 3 + 1)  # scout, 3 axial slices, the RDSR
    assert f["orthanc_instances"] == f["indexed_instances"] == f["pg_rows"] == f["pushed_instances"]


def test_each_study_has_one_dose_event_with_ctdivol_and_dlp(arrived):
    _, f = arrived
    assert len(f["dose"]) == STUDIES and f["pg_dose_rows"] == STUDIES
    for study, (scanner, protocol, acquisitions, total) in f["dose"].items():
        assert scanner.startswith("CT") and protocol.startswith("CT "), study
        assert [a[0] for a in acquisitions] == ["SCOUT", "AXIAL 5.0MM"], study
        assert all(isinstance(ctdi, float) and ctdi > 0 for _, ctdi, _ in acquisitions), acquisitions
        assert total == pytest.approx(sum(dlp for _, _, dlp in acquisitions)), (study, acquisitions)
