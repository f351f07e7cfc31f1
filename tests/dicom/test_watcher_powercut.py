"""cirr-watcher's state folder on a file system that keeps, at a power cut,
only what was made durable (tests/support/powercut.py): the cursor never
gets ahead of the outbox, so nothing Orthanc had is lost, while the /changes
pages are read ahead of the outbox."""
import pytest

from tests.support.dicomgen import make_instances
from tests.support.powercut import PowerCutFS
from tests.support.waiting import wait_for
from tests.support.watcher import hec, orthanc1, watcher  # noqa: F401 (fixtures)
from tests.support.watcher import store_folder


@pytest.fixture
def powercut(tmp_path):
    """Requested before the watcher, so that it is unmounted after the
    watcher stopped."""
    fs = PowerCutFS(tmp_path)
    yield fs
    fs.stop()


def sop_uids(hec):
    return {e["event"]["SOPInstanceUID"] for e in hec.by_index("dicom_instances")}


@pytest.mark.parametrize("tags", ["full", "main"])
def test_a_power_cut_while_batches_wait_loses_no_instance(powercut, tmp_path, orthanc1, hec, watcher, tags):
    uids = make_instances(tmp_path / "in", 300, size=4)
    store_folder(orthanc1, tmp_path / "in")
    state = powercut.mount / "state"
    hec.delay = 0.1  # a slow collector: batches wait in the outbox when the power goes
    small = dict(WATCH_ORTHANC_TAGS=tags, WATCH_ORTHANC_PAGE=40, WATCH_BATCH_EVENTS=15)
    w = watcher("index_instances", hec=hec, orthanc=orthanc1, state=state, **small)
    wait_for(lambda: w.metrics()['watcher_outbox_batches{sink="hec"}'] >= 3 and hec.count() >= 30, 60,
             "events sent and batches waiting")
    w.kill()
    powercut.cut()
    sent_before = hec.count()
    cursor = state / "cursor" / "index_instances"
    assert cursor.exists() and int(cursor.read_text()) > 0  # the folders made at the first start are durable too
    assert sent_before < 300
    hec.delay = 0
    watcher("index_instances", hec=hec, orthanc=orthanc1, state=state, **small)
    wait_for(lambda: sop_uids(hec) >= set(uids), 90, "every instance at least once after the cut")
    assert sop_uids(hec) == set(uids)
