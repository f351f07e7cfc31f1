"""A C-STORE SCU on plain sockets that sends whatever it is given: an empty
dataset, one without SOP Class or Instance UID, values with newlines, any
calling AE title. DCMTK's and GDCM's tools refuse to send such things, and
a hostile peer does not ask. Implicit VR Little Endian only; one
presentation context per association (PS3.8 PDUs, PS3.7 command set)."""
import socket
import struct

IMPLICIT_LE = "1.2.840.10008.1.2"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"


def _uid(text):
    raw = text.encode()
    return raw + b"\0" if len(raw) % 2 else raw


def _item(kind, value):
    return struct.pack(">BBH", kind, 0, len(value)) + value


def _ae(title):
    raw = title.encode("latin-1")[:16]
    return raw + b" " * (16 - len(raw))


def element(group, elem, value):
    """One implicit VR little endian element; value: bytes (padded to even
    length with a space, as text values are) or str."""
    if isinstance(value, str):
        value = value.encode("latin-1")
    if len(value) % 2:
        value += b" "
    return struct.pack("<HHI", group, elem, len(value)) + value


def dataset(sop_class=None, sop_uid=None, modality=None):
    """A small dataset's bytes, with only the elements given (None: left out)."""
    out = b""
    if sop_class is not None:
        out += struct.pack("<HHI", 0x0008, 0x0016, len(_uid(sop_class))) + _uid(sop_class)
    if sop_uid is not None:
        out += struct.pack("<HHI", 0x0008, 0x0018, len(_uid(sop_uid))) + _uid(sop_uid)
    if modality is not None:
        out += element(0x0008, 0x0060, modality)
    return out + element(0x0010, 0x0010, "RAW^SCU")


def _command(sop_class, sop_uid, message_id=1, originator=None):
    """originator: (AE title, Message ID) of the C-MOVE the store says it
    is a sub-operation of (Move Originator, PS3.7 9.3.1.1), or None."""
    body = (struct.pack("<HHI", 0, 0x0002, len(_uid(sop_class))) + _uid(sop_class) +
            struct.pack("<HHIH", 0, 0x0100, 2, 0x0001) + struct.pack("<HHIH", 0, 0x0110, 2, message_id) +
            struct.pack("<HHIH", 0, 0x0700, 2, 0) + struct.pack("<HHIH", 0, 0x0800, 2, 0x0000) +
            struct.pack("<HHI", 0, 0x1000, len(_uid(sop_uid))) + _uid(sop_uid))
    if originator:
        body += element(0, 0x1030, originator[0]) + struct.pack("<HHIH", 0, 0x1031, 2, originator[1])
    return struct.pack("<HHII", 0, 0x0000, 4, len(body)) + body


def _associate_rq(called, calling, sop_class):
    context = _item(0x20, bytes([1, 0, 0, 0]) + _item(0x30, sop_class.encode()) +
                    _item(0x40, IMPLICIT_LE.encode()))
    user = _item(0x50, _item(0x51, struct.pack(">I", 16384)) + _item(0x52, b"1.2.3.4.5.6.7.8"))
    body = (struct.pack(">HH", 1, 0) + _ae(called) + _ae(calling) + b"\0" * 32 +
            _item(0x10, b"1.2.840.10008.3.1.1.1") + context + user)
    return struct.pack(">BBI", 0x01, 0, len(body)) + body


def _pdata(control, data):
    pdv = struct.pack(">IBB", len(data) + 2, 1, control) + data
    return struct.pack(">BBI", 0x04, 0, len(pdv)) + pdv


def _read_pdu(sock):
    head = _read_exactly(sock, 6)
    kind, _, length = struct.unpack(">BBI", head)
    return kind, _read_exactly(sock, length)


def _read_exactly(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def _status(pdu):
    """(0000,0900) of the command set in a P-DATA-TF."""
    data = pdu[6:]  # PDV length (4), context id, control header
    at = 0
    while at + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHI", data, at)
        if (group, elem) == (0, 0x0900):
            return struct.unpack_from("<H", data, at + 8)[0]
        at += 8 + length
    raise AssertionError(f"no status in {pdu!r}")


def store(port, data, sop_class=CT_IMAGE, sop_uid="1.2.3.4", calling="RAWSCU", called="CIRRMUX",
          host="127.0.0.1", timeout=30, originator=None):
    """Associate, send one C-STORE-RQ whose dataset is the bytes data,
    release; the DIMSE status of the answer. sop_class and sop_uid go in
    the command (and the presentation context), whatever the dataset says;
    originator as _command's."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(_associate_rq(called, calling, sop_class))
        kind, body = _read_pdu(s)
        if kind != 0x02:
            raise ConnectionError(f"association not accepted: PDU type 0x{kind:02x} {body!r}")
        s.sendall(_pdata(0x03, _command(sop_class, sop_uid, originator=originator)))
        s.sendall(_pdata(0x02, data))
        kind, body = _read_pdu(s)
        if kind != 0x04:
            raise ConnectionError(f"no C-STORE response: PDU type 0x{kind:02x}")
        status = _status(body)
        s.sendall(struct.pack(">BBI", 0x05, 0, 4) + b"\0" * 4)
        try:
            _read_pdu(s)  # A-RELEASE-RP
        except (ConnectionError, OSError):
            pass
        return status
