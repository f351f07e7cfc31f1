"""The watcher's PACS monitor against mockpacs: sliding study-date windows,
a PACS that caps its answers (the window is split until nothing is
hidden), de-duplication across sweeps, the checkpoint across restarts."""
import datetime

import pytest

from tests.dicom.conftest import each_started, stopped_cleanly
from tests.support.dcmtk import find
from tests.support.mockpacs import Mock
from tests.support.waiting import wait_for
from tests.support.watcher import Watcher, hec_double, wait_events


@pytest.fixture
def started(tmp_path):
    yield from each_started(lambda cls, *a, **kw: cls(tmp_path, *a, **kw), stopped_cleanly)


def test_a_capped_pacs_hides_nothing_and_no_study_comes_twice(started, tmp_path):
    yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime("%Y%m%d")
    history = dict(MOCK_STUDIES=400, MOCK_HISTORY_DAYS=2, MOCK_END_DATE=yesterday, MOCK_SEED=11)
    uncapped = started(Mock, **history)
    every = {a["StudyInstanceUID"] for a in find(uncapped, "STUDY", "StudyInstanceUID")}
    assert len(every) == 400
    capped = started(Mock, MOCK_MAX_ANSWERS=50, **history)
    assert len(find(capped, "STUDY", "StudyInstanceUID")) == 50
    hec = hec_double()
    try:
        # the overlap covers the whole history: every sweep asks for all 400 again
        w = started(Watcher, "index_pacs", hec=hec, WATCH_PACS=f"MOCK,127.0.0.1,{capped.port}", TZ="UTC",
                    WATCH_PACS_MAX_ANSWERS=50, WATCH_PACS_LOOKBACK_MIN=5 * 1440,
                    WATCH_PACS_OVERLAP_MIN=5 * 1440)
        events = wait_events(hec, "pacs_studies", 400, timeout=60)
        assert {e["event"]["StudyInstanceUID"] for e in events} == every
        first = events[0]["event"]
        assert first["StudyDateTime"][:10].replace("-", "") == first["StudyDate"] and first["PatientID"]
        # two more sweeps (every second) ask for everything again and send nothing new
        rounds = w.metrics()['watcher_source_rounds_total{route="index_pacs"}']
        wait_for(lambda: w.metrics()['watcher_source_rounds_total{route="index_pacs"}'] >= rounds + 2, 30,
                 "two more sweeps")
        assert hec.count() == 400 and w.metrics()['watcher_events_read_total{route="index_pacs"}'] == 400
        assert w.metrics()['watcher_source_errors_total{route="index_pacs"}'] == 0
    finally:
        hec.close()
