"""The HEC test double answers as Splunk's HEC documentation says, so that
the watcher's tests against it mean something."""
import json
import urllib.error
import urllib.request
import uuid

from tests.support.hec_double import HecDouble, Token


def post(hec, path, body, headers):
    req = urllib.request.Request(hec.url() + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_double_speaks_the_documented_codes():
    hec = HecDouble({"good": Token(indexes=["dicom"]), "acked": Token(ack=True)})
    try:
        auth = {"Authorization": "Splunk good"}
        two = b'{"event": {"a": 1}, "index": "dicom"} {"event": "x", "index": "dicom"}'
        assert post(hec, "/services/collector/event", two, auth) == (200, {"text": "Success", "code": 0})
        assert hec.count() == 2
        assert post(hec, "/services/collector/event", two, {}) == (401, {"text": "Token is required", "code": 2})
        assert post(hec, "/services/collector/event", two, {"Authorization": "Bearer good"})[1]["code"] == 3
        assert post(hec, "/services/collector/event", two, {"Authorization": "Splunk bad"}) == \
            (403, {"text": "Invalid token", "code": 4})
        assert post(hec, "/services/collector/event", b"", auth)[1]["code"] == 5
        assert post(hec, "/services/collector/event", b"{nope", auth)[1]["code"] == 6
        assert post(hec, "/services/collector/event", b'{"event": 1, "index": "x"}', auth)[1]["code"] == 7
        assert post(hec, "/services/collector/event", b'{"time": 1}', auth)[1]["code"] == 12
        hec.fail_next = 1
        assert post(hec, "/services/collector/event", two, auth) == (503, {"text": "Server is busy", "code": 9})
        assert hec.count() == 2
        acked = {"Authorization": "Splunk acked"}
        assert post(hec, "/services/collector/event", two, acked)[1]["code"] == 10
        ch = dict(acked, **{"X-Splunk-Request-Channel": str(uuid.uuid4())})
        status, answer = post(hec, "/services/collector/event", two, ch)
        assert status == 200 and answer["ackId"] == 0
        assert post(hec, "/services/collector/ack", b'{"acks": [0, 5]}', ch) == (200, {"acks": {"0": True, "5": False}})
        assert post(hec, "/services/collector/ack", b'{"acks": [0]}', auth)[1]["code"] == 14
        with urllib.request.urlopen(hec.url() + "/services/collector/health", timeout=5) as r:
            assert json.loads(r.read())["code"] == 17
    finally:
        hec.close()
