"""Hostile and broken peers against the SCP of lib/dicom, through both
services that run it (issue 11, findings 1-3): sequences nested far deeper
than DCMTK's recursive parser can take, connections that never finish
their association request, and associations fed one byte at a time.

The peers here are raw sockets speaking just enough of the DICOM upper
layer (PS3.8) to do harm; the honest peer is DCMTK's echoscu/storescu."""
import socket
import subprocess
import struct
import threading
import time
import zlib

import pytest

from tests.support.dcmtk import dcmtk
from tests.support.waiting import wait_for

ECHO_CLASS = "1.2.840.10008.1.1"
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
FIND_CLASS = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Query/Retrieve - FIND
IMPLICIT, EXPLICIT, RLE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5"
DEFLATED = "1.2.840.10008.1.2.1.99"
DEEP = 20000  # far beyond any stack: the parser of the old code crashed here

# ---- the upper layer, minimally ------------------------------------------------


def _uid(u):
    b = u.encode()
    return b + b"\0" if len(b) % 2 else b


def _item(kind, body):
    return struct.pack(">BBH", kind, 0, len(body)) + body


def associate_rq(calling, called, contexts, max_pdu=16384):
    """An A-ASSOCIATE-RQ PDU; contexts: [(id, abstract syntax, [transfer syntaxes])]."""
    items = _item(0x10, b"1.2.840.10008.3.1.1.1")
    for pc_id, abstract, syntaxes in contexts:
        sub = _item(0x30, abstract.encode()) + b"".join(_item(0x40, ts.encode()) for ts in syntaxes)
        items += _item(0x20, bytes([pc_id, 0, 0, 0]) + sub)
    items += _item(0x50, _item(0x51, struct.pack(">I", max_pdu)) + _item(0x52, b"1.2.826.0.1.3680043.9.7777"))
    body = struct.pack(">HH", 1, 0) + called.ljust(16).encode() + calling.ljust(16).encode() + b"\0" * 32 + items
    return struct.pack(">BBI", 1, 0, len(body)) + body


def read_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed by the peer")
        data += chunk
    return data


def read_pdu(s):
    kind, _, length = struct.unpack(">BBI", read_exactly(s, 6))
    return kind, read_exactly(s, length)


def accepted_contexts(ac_body):
    """{context id: transfer syntax} of the accepted contexts of an A-ASSOCIATE-AC body."""
    out, i = {}, 68
    while i + 4 <= len(ac_body):
        kind, length = ac_body[i], struct.unpack(">H", ac_body[i + 2:i + 4])[0]
        if kind == 0x21 and ac_body[i + 6] == 0:
            sub = ac_body[i + 8:i + 4 + length]
            out[ac_body[i + 4]] = sub[4:4 + struct.unpack(">H", sub[2:4])[0]].decode().rstrip("\0")
        i += 4 + length
    return out


def associate(port, contexts, calling="HOSTILE", called="ANY"):
    """An open association: (socket, {id: transfer syntax}) or an AssertionError."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(associate_rq(calling, called, contexts))
    kind, body = read_pdu(s)
    assert kind == 2, f"association not accepted (PDU type {kind})"
    return s, accepted_contexts(body)


def p_data(pc_id, fragment, command, last):
    pdv = struct.pack(">IBB", len(fragment) + 2, pc_id, (1 if command else 0) | (2 if last else 0)) + fragment
    return struct.pack(">BBI", 4, 0, len(pdv)) + pdv


def send_fragments(s, pc_id, data, is_command, max_fragment=16000):
    for at in range(0, len(data), max_fragment):
        s.sendall(p_data(pc_id, data[at:at + max_fragment], is_command, at + max_fragment >= len(data)))


def send_message(s, pc_id, command, dataset=None):
    send_fragments(s, pc_id, command, True)
    if dataset is not None:
        send_fragments(s, pc_id, dataset, False)


def elements(items):
    """Implicit VR little endian elements [(group, element, value bytes)], as given."""
    return b"".join(struct.pack("<HHI", g, e, len(v)) + v for g, e, v in items)


def command(field, sop_class, msg_id=1, dataset=True, instance=None):
    items = [(0, 2, _uid(sop_class)), (0, 0x100, struct.pack("<H", field)), (0, 0x110, struct.pack("<H", msg_id))]
    if field != 0x30:
        items.append((0, 0x700, struct.pack("<H", 0)))
    items.append((0, 0x800, struct.pack("<H", 1 if dataset else 0x101)))
    if instance:
        items.append((0, 0x1000, _uid(instance)))
    body = elements(items)
    return elements([(0, 0, struct.pack("<I", len(body)))]) + body


def response_status(s):
    """The Status (0000,0900) of the next response command."""
    fragments = b""
    while True:
        kind, body = read_pdu(s)
        assert kind == 4, f"expected P-DATA, got PDU type {kind}"
        i = 0
        while i < len(body):
            length, _, control = struct.unpack(">IBB", body[i:i + 6])
            fragments += body[i + 6:i + 4 + length]
            i += 4 + length
            if control & 3 == 3:
                break
        else:
            continue
        break
    i = 0
    while i < len(fragments):
        g, e, n = struct.unpack("<HHI", fragments[i:i + 8])
        if (g, e) == (0, 0x900):
            return struct.unpack("<H", fragments[i + 8:i + 10])[0]
        i += 8 + n
    raise AssertionError("no status in the response")


def release(s):
    s.sendall(struct.pack(">BBII", 5, 0, 4, 0))
    kind, _ = read_pdu(s)
    s.close()
    return kind

# ---- datasets ------------------------------------------------------------------


def header(group, elem, vr, length, explicit):
    if not explicit or vr is None:  # items and delimiters have no VR
        return struct.pack("<HHI", group, elem, length)
    if vr in ("SQ", "OB", "UN"):
        return struct.pack("<HH2sHI", group, elem, vr.encode(), 0, length)
    return struct.pack("<HH2sH", group, elem, vr.encode(), length)


def leaf(group, elem, vr, value, explicit):
    value = value + (b"\0" if vr == "UI" else b" ") * (len(value) % 2)
    return header(group, elem, vr, len(value), explicit) + value


UNDEFINED = 0xFFFFFFFF


def nested(levels, explicit, defined):
    """Content Sequence (0040,A730) nested levels deep, each with one item."""
    if defined:
        inner = b""
        for _ in range(levels):
            item = struct.pack("<HHI", 0xFFFE, 0xE000, len(inner)) + inner
            inner = header(0x0040, 0xA730, "SQ", len(item), explicit) + item
        return inner
    opening = header(0x0040, 0xA730, "SQ", UNDEFINED, explicit) + struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED)
    closing = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return opening * levels + closing * levels


def instance(uid, levels, explicit=True, defined=False):
    return (leaf(0x0008, 0x0016, "UI", SC_CLASS.encode(), explicit) + leaf(0x0008, 0x0018, "UI", uid.encode(), explicit)
            + leaf(0x0008, 0x0060, "CS", b"OT", explicit) + leaf(0x0010, 0x0010, "PN", b"DEEP^NEST", explicit)
            + leaf(0x0010, 0x0020, "LO", b"DEEP1", explicit) + leaf(0x0020, 0x000D, "UI", uid.encode() + b".1", explicit)
            + leaf(0x0020, 0x000E, "UI", uid.encode() + b".2", explicit) + nested(levels, explicit, defined))


def query(levels, explicit):
    return leaf(0x0008, 0x0052, "CS", b"STUDY", explicit) + leaf(0x0010, 0x0020, "LO", b"MRN00000001", explicit) \
        + leaf(0x0020, 0x000D, "UI", b"", explicit) + nested(levels, explicit, False)


def deflate(data):
    z = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as PS3.5 A.5 says
    out = z.compress(data) + z.flush()
    return out + b"\0" * (len(out) % 2)


def store(port, uid, dataset, ts=EXPLICIT):
    """C-STORE over a fresh association; the status the SCP answered."""
    if ts == DEFLATED:
        dataset = deflate(dataset)
    s, accepted = associate(port, [(1, SC_CLASS, [ts])])
    assert accepted.get(1) == ts, accepted
    send_message(s, 1, command(0x0001, SC_CLASS, instance=uid), dataset)
    status = response_status(s)
    release(s)
    return status


def echo(port, aec):
    """A normal peer: DCMTK's echoscu with its usual ACSE timeout (30 s)."""
    return dcmtk("echoscu", "-aec", aec, "127.0.0.1", str(port), check=False, timeout=90)

# ---- finding 1: deep nesting -------------------------------------------------------


@pytest.mark.parametrize("ts,defined", [(EXPLICIT, False), (IMPLICIT, False), (EXPLICIT, True), (IMPLICIT, True),
                                        (DEFLATED, False)],
                         ids=["explicit-undefined", "implicit-undefined", "explicit-defined", "implicit-defined",
                              "deflated-undefined"])
def test_deep_sequences_in_a_c_store_are_refused_and_mux_stays_up(mux, storescp, ts, defined):
    ws = storescp("WS")
    m = mux({"WS": ("WS", ws.port)})
    uid = "1.2.826.0.1.3680043.9.7777.1"
    status = store(m.port, uid, instance(uid, DEEP, ts != IMPLICIT, defined), ts)
    assert status == 0xA900 or status & 0xF000 == 0xC000, hex(status)
    assert echo(m.port, "CIRRMUX").returncode == 0
    assert m.proc.poll() is None


def test_ordinary_nesting_and_encapsulated_fragments_are_still_stored(mux, storescp):
    ws = storescp("WS")
    m = mux({"WS": ("WS", ws.port)})
    for ts, uid in ((EXPLICIT, "1.2.826.0.1.3680043.9.7777.2"), (IMPLICIT, "1.2.826.0.1.3680043.9.7777.4"),
                    (DEFLATED, "1.2.826.0.1.3680043.9.7777.5")):
        assert store(m.port, uid, instance(uid, 12, ts != IMPLICIT), ts) == 0, ts
    # encapsulated pixel data: fragments are opaque bytes, even when they look like items
    fragment = struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED) * 500
    pixels = (header(0x7FE0, 0x0010, "OB", UNDEFINED, True) + struct.pack("<HHI", 0xFFFE, 0xE000, 0)
              + struct.pack("<HHI", 0xFFFE, 0xE000, len(fragment)) + fragment + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
    rle = instance("1.2.826.0.1.3680043.9.7777.3", 0) + leaf(0x0028, 0x0002, "US", struct.pack("<H", 1), True) \
        + pixels
    assert store(m.port, "1.2.826.0.1.3680043.9.7777.3", rle, RLE) == 0


def test_deep_sequences_in_a_c_find_identifier_are_refused_and_mockpacs_stays_up(mock):
    m = mock()
    for explicit in (True, False):
        ts = EXPLICIT if explicit else IMPLICIT
        s, accepted = associate(m.port, [(1, FIND_CLASS, [ts])])
        assert accepted.get(1) == ts, accepted
        send_message(s, 1, command(0x0020, FIND_CLASS), query(DEEP, explicit))
        status = response_status(s)
        assert status == 0xA900 or status & 0xF000 == 0xC000, hex(status)
        release(s)
    assert echo(m.port, "MOCK").returncode == 0
    assert m.proc.poll() is None


def test_deep_sequences_in_a_command_end_the_association_not_the_service(mock):
    m = mock()
    s, _ = associate(m.port, [(1, ECHO_CLASS, [IMPLICIT])])
    try:
        send_message(s, 1, command(0x0030, ECHO_CLASS, dataset=False) + nested(DEEP, False, False))
        s.settimeout(30)
        while s.recv(65536):
            pass
    except OSError:
        pass  # cut off while sending: what should happen
    s.close()
    assert echo(m.port, "MOCK").returncode == 0
    assert m.proc.poll() is None
    assert "a command nested sequences too deeply" in m.text()

# ---- finding 2: connections that never finish their request -------------------------


def stalled_connections(port):
    """An idle connection, 40 bytes of an A-ASSOCIATE-RQ, a complete but
    invalid request, and a peer rejected by the allow list: all kept open."""
    idle = socket.create_connection(("127.0.0.1", port))
    partial = socket.create_connection(("127.0.0.1", port))
    partial.sendall(associate_rq("ECHOSCU", "ANY", [(1, ECHO_CLASS, [IMPLICIT])])[:40])
    invalid = socket.create_connection(("127.0.0.1", port))
    invalid.sendall(struct.pack(">BBI", 1, 0, 12) + b"\xff" * 12)
    rejected = socket.create_connection(("127.0.0.1", port))
    rejected.sendall(associate_rq("INTRUDER", "ANY", [(1, ECHO_CLASS, [IMPLICIT])]))
    return [idle, partial, invalid, rejected]


@pytest.mark.parametrize("service", ["mux", "mockpacs"])
def test_stalled_connections_do_not_delay_a_normal_peer(service, mux, mock, storescp):
    if service == "mux":
        m, aec = mux({"WS": ("WS", storescp("WS").port)}, MUX_ALLOW="ECHOSCU,MODALITY"), "CIRRMUX"
    else:
        m, aec = mock(MOCK_ALLOW="ECHOSCU"), "MOCK"
    held = stalled_connections(m.port)
    try:
        time.sleep(0.5)  # the stalled connections are accepted first
        r = echo(m.port, aec)
        assert r.returncode == 0, r.stdout + r.stderr
        assert all(c.fileno() >= 0 for c in held)
    finally:
        for c in held:
            c.close()

# ---- finding 3: associations fed one byte at a time -----------------------------------


def trickle(port, stop, outcomes):
    """An accepted association that then sends a P-DATA PDU one byte every 2
    s; appends to outcomes whether the association was accepted."""
    try:
        s, _ = associate(port, [(1, ECHO_CLASS, [IMPLICIT])])
    except (AssertionError, OSError) as e:
        outcomes.append(e)
        return
    outcomes.append("held")
    pdu = p_data(1, command(0x0030, ECHO_CLASS, dataset=False) + b"\0" * 8000, True, True)
    try:
        for byte in pdu:
            if stop.wait(2):
                break
            s.send(bytes([byte]))
    except OSError:
        pass  # dropped: what the deadline is for
    finally:
        s.close()


@pytest.mark.parametrize("service", ["mux", "mockpacs"])
def test_trickling_associations_are_dropped_so_a_sender_gets_through(service, mux, mock, storescp):
    slots = 4
    if service == "mux":
        m, aec = mux({"WS": ("WS", storescp("WS").port)}, MUX_MAX_ASSOCIATIONS=slots), "CIRRMUX"
    else:
        m, aec = mock(MOCK_MAX_ASSOCIATIONS=slots), "MOCK"
    stop = threading.Event()
    outcomes = []
    threads = [threading.Thread(target=trickle, args=(m.port, stop, outcomes)) for _ in range(slots)]
    for t in threads:
        t.start()
    try:
        # every trickler holds its slot before the echo tries (a loaded
        # machine may start a thread late)
        wait_for(lambda: len(outcomes) == slots, timeout=30, what="the tricklers' associations")
        assert outcomes == ["held"] * slots, outcomes
        assert echo(m.port, aec).returncode != 0, "the trickling peers should hold every slot at first"
        deadline = time.monotonic() + 75  # the SCP's message deadline, with room to spare
        while echo(m.port, aec).returncode != 0:
            assert time.monotonic() < deadline, "trickling associations still hold every slot"
            time.sleep(2)
    finally:
        stop.set()
        for t in threads:
            t.join()



# ---- the limits are the operator's to set (MUX_MAX_NESTING, MUX_IDLE_TIMEOUT) --------------


def test_mux_max_nesting_and_idle_timeout_come_from_the_environment(mux, storescp):
    ws = storescp("WS")
    m = mux({"WS": ("WS", ws.port)}, MUX_MAX_NESTING=4, MUX_IDLE_TIMEOUT=2)
    shallow, deep = "1.2.826.0.1.3680043.9.7777.41", "1.2.826.0.1.3680043.9.7777.42"
    assert store(m.port, shallow, instance(shallow, 4)) == 0
    status = store(m.port, deep, instance(deep, 5))
    assert status & 0xF000 == 0xC000, hex(status)  # one deeper than the operator allows
    s, _ = associate(m.port, [(1, ECHO_CLASS, [IMPLICIT])])
    s.settimeout(60)
    started = time.monotonic()
    assert s.recv(1) in (b"", b"\x07")  # silent: closed (or aborted) by mux, not by this peer
    assert time.monotonic() - started < 60
    s.close()


def test_a_bad_limit_stops_mux_naming_it(tmp_path):
    from tests.support.mux import MUX
    r = subprocess.run([MUX], env={"MUX_ALLOW": "*", "MUX_DEST_WS": "WS,127.0.0.1,104", "MUX_MAX_NESTING": "0",
                                   "MUX_SPOOL": str(tmp_path / "spool"), "MUX_HTTP_PORT": "0"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 100 and "MUX_MAX_NESTING" in r.stderr, r.stderr
