"""cirr-bridge's query page in Debian's headless chromium (issue 12),
behind a /bridge path prefix as Traefik serves it: search by MRN,
retrieve a study to the archive, watch the progress reach 100%; a
screenshot is left in the test's folder (its path printed)."""
from tests.dicom.conftest import stopped_cleanly
from tests.support.bridge import Bridge, bridge_destination, fixture_of, query
from tests.support.chromium import Chromium
from tests.support.dcmtk import received_uids
from tests.support.ports import free_port
from tests.support.prefix_proxy import PrefixProxy
from tests.support.waiting import wait_for


bridge = fixture_of(Bridge, stopped_cleanly)
browser = fixture_of(Chromium)
proxy = fixture_of(PrefixProxy, with_tmp=False)


def test_search_by_mrn_and_retrieve_to_the_archive(mock, bridge, storescp, browser, proxy, tmp_path):
    archive = storescp("ARCHIVE")
    port = free_port()
    m = mock(**bridge_destination(port))
    b = bridge(m.port, {"ARCHIVE": ("ARCHIVE", archive.port)}, port=port)
    expected = query(m.port, "MOCK", "STUDY", "PatientID=MRN00000002", "StudyInstanceUID",
                     "NumberOfStudyRelatedInstances", "StudyDate")
    traefik = proxy("/bridge", b.http)
    page = browser(f"http://127.0.0.1:{traefik.port}/bridge")  # no trailing slash: the harder case
    wait_for(lambda: page.js("document.querySelectorAll('#dest option').length") == 1, timeout=30,
             what="the page and its destinations")
    page.js("document.querySelector('[name=PatientID]').value = 'MRN00000002';"
            "document.getElementById('go').click()")
    wait_for(lambda: page.js("document.querySelectorAll('#studies tr').length") == len(expected), timeout=30,
             what="the studies in the table")
    dates = page.js("[...document.querySelectorAll('#studies tr')].map(tr => tr.cells[0].textContent)")
    assert sorted(dates) == sorted(a["StudyDate"] for a in expected)
    # retrieve the largest study
    sizes = page.js("[...document.querySelectorAll('#studies tr')].map(tr => +tr.cells[6].textContent)")
    row = sizes.index(max(sizes))
    page.js(f"document.querySelectorAll('#studies tr')[{row}].querySelector('button.retrieve').click()")
    wait_for(lambda: page.js("(document.querySelector('.percent') || {}).textContent") == "100%", timeout=60,
             what="the progress bar at 100%")
    assert len(received_uids(archive.dir)) == max(sizes)
    shot = page.screenshot(tmp_path / "bridge-query-page.png")
    assert shot.stat().st_size > 1000
    print(f"screenshot: {shot}")
    assert "C-MOVE from BRIDGE done" in b.text()
