"""Seed corpora for the fuzz targets (tests/fuzz/*_fuzz.cc), made at build
time, never committed: datasets from the instance generator
(tests/support/dicomgen.py) in each transfer syntax the dataset target
takes, C-FIND queries, sequences nested around the nesting limit (defined
and undefined lengths, UN read as a sequence, private sequences with and
without their private creators, pixel data fragments), and PDU streams
that carry them to an SCP in P-DATA (an association request, C-ECHO,
C-STORE, C-FIND, C-MOVE, C-GET with the answer to its sub-operation,
commands nested too deeply, release, abort).

    python3 -m tests.fuzz.seeds OUTDIR    (run from the repository root)

writes OUTDIR/dataset_fuzz/, OUTDIR/pdu_watch_fuzz/, OUTDIR/scp_fuzz/ and
OUTDIR/scu_fuzz/ (what a peer SCP answers our SCU calls, scu_fuzz.cc)."""
import hashlib
import os
import struct
import sys
import tempfile
import zlib

import pydicom
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset

from tests.support.dicomgen import make_instances

IMPLICIT_LE, EXPLICIT_LE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
EXPLICIT_BE, DEFLATED = "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"
# The dataset target's selector: its low two bits name the transfer syntax.
SYNTAXES = [IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE, DEFLATED]
VERIFICATION, CT_IMAGE = "1.2.840.10008.1.1", "1.2.840.10008.5.1.4.1.1.2"
FIND, MOVE, GET = ("1.2.840.10008.5.1.4.1.2.2." + n for n in "123")
MAX_DEPTH = 6  # the targets' nesting limit
UNDEFINED = 0xFFFFFFFF

# ---- datasets ----------------------------------------------------------------


def _uid(text):
    raw = text.encode()
    return raw + b"\0" if len(raw) % 2 else raw


def _text(text):
    raw = text.encode("latin-1")
    return raw + b" " if len(raw) % 2 else raw


def element(group, elem, vr, value, explicit=True, length=None):
    """One little endian element; length: what the header says (default:
    the value's, UNDEFINED for an undefined length)."""
    length = len(value) if length is None else length
    head = struct.pack("<HH", group, elem)
    if not explicit:
        return head + struct.pack("<I", length) + value
    if vr in ("OB", "OW", "OF", "SQ", "UT", "UN", "UC", "UR"):
        return head + vr.encode() + b"\0\0" + struct.pack("<I", length) + value
    return head + vr.encode() + struct.pack("<H", length) + value


def item(content, defined=True):
    if defined:
        return struct.pack("<HHI", 0xFFFE, 0xE000, len(content)) + content
    return struct.pack("<HHI", 0xFFFE, 0xE000, UNDEFINED) + content + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)


def sequence(group, elem, items, explicit=True, defined=True, vr="SQ"):
    body = b"".join(items)
    if defined:
        return element(group, elem, vr, body, explicit)
    return element(group, elem, vr, body + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0), explicit, UNDEFINED)


def nested(depth, explicit=True, defined=True, vr="SQ", tag=(0x0040, 0xA730)):
    """Content Sequence in Content Sequence ..., depth levels, a value at the bottom."""
    inner = element(0x0040, 0xA160, "UT", _text("bottom"), explicit)
    for _ in range(depth):
        inner = sequence(tag[0], tag[1], [item(inner, defined)], explicit, defined, vr)
    return element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), explicit) + inner


def nested_samples():
    """Sequences nested around MAX_DEPTH, each way the nesting check knows."""
    out = []
    for depth in (1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH):
        for explicit in (True, False):
            for defined in (True, False):
                out.append((SYNTAXES[explicit], nested(depth, explicit, defined)))
        # UN of undefined length: read as a sequence in Implicit VR (CP-246).
        inside = nested(depth - 1, False, False)
        out.append((EXPLICIT_LE, sequence(0x0040, 0xA730, [item(inside, False)], True, False, vr="UN")))
        # Implicit VR: a private sequence that DCMTK's private dictionary knows
        # by the creator each item names; the same without creators (a value
        # that merely starts with an item); and with a creator DCMTK does not know.
        for creator in (PRIVATE_SQ[0], None, "NOT A KNOWN CREATOR"):
            out.append((IMPLICIT_LE, private_nested(depth, creator)))
    return out


# A private sequence in DCMTK's private dictionary (private.dic):
# (0009,"DCMTK_ANONYMIZER",00) SQ AnonymizerUIDMap.
PRIVATE_SQ = ("DCMTK_ANONYMIZER", 0x0009, 0x00)


def private_nested(depth, creator):
    """nested() with the private sequence in Implicit VR, each item (and the
    dataset) reserving its block for `creator` (None: no reservation)."""
    _, group, low = PRIVATE_SQ
    inner = element(0x0040, 0xA160, "UT", _text("bottom"), False)
    reserve = element(group, 0x0010, "LO", _text(creator), False) if creator else b""
    for _ in range(depth):
        inner = reserve + sequence(group, 0x1000 | low, [item(inner)], False)
    return element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), False) + inner


def fragments(explicit=True):
    """Encapsulated pixel data: an offset table and two fragments."""
    body = item(b"") + item(b"\xff\xd8\xff\xd9") + item(b"\x01\x02\x03\x04\x05\x06")
    return (element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), explicit) +
            element(0x7FE0, 0x0010, "OB", body + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0), explicit, UNDEFINED))


def query(level="STUDY", explicit=False):
    return (element(0x0008, 0x0020, "DA", _text("20240101-"), explicit) +
            element(0x0008, 0x0052, "CS", _text(level), explicit) +
            element(0x0008, 0x0060, "CS", _text("CT"), explicit) +
            element(0x0010, 0x0010, "PN", _text("MUX*"), explicit) +
            element(0x0020, 0x000D, "UI", b"", explicit))


def encode(ds, ts):
    """ds (pydicom, no meta) as the bytes of a dataset in transfer syntax ts."""
    ds.is_little_endian = ts != EXPLICIT_BE
    ds.is_implicit_VR = ts == IMPLICIT_LE
    buf = DicomBytesIO()
    buf.is_little_endian, buf.is_implicit_VR = ds.is_little_endian, ds.is_implicit_VR
    write_dataset(buf, ds)
    raw = buf.getvalue()
    if ts == DEFLATED:
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = z.compress(raw) + z.flush()
        raw += b"\0" * (len(raw) % 2)  # PDVs are even
    return raw


def instances():
    """(transfer syntax, bytes) of generated CT instances, in every syntax."""
    with tempfile.TemporaryDirectory() as folder:
        make_instances(folder, 2, size=8, patient="FUZZ^SEED", patient_id="FUZZ1")
        files = sorted(os.listdir(folder))
        out = []
        for name in files:
            ds = pydicom.dcmread(os.path.join(folder, name))
            for ts in SYNTAXES:
                out.append((ts, encode(ds, ts)))
        return out


def datasets():
    return (instances() + nested_samples() + [(EXPLICIT_LE, fragments()), (IMPLICIT_LE, fragments(False)),
                                              (IMPLICIT_LE, query()), (EXPLICIT_LE, query(explicit=True))])

# ---- PDUs (PS3.8) and commands (PS3.7) --------------------------------------


def _pdu_item(kind, value):
    return struct.pack(">BBH", kind, 0, len(value)) + value


def pdu(kind, body):
    return struct.pack(">BBI", kind, 0, len(body)) + body


# Presentation context of each (abstract syntax, transfer syntax) offered.
CONTEXTS = {(VERIFICATION, IMPLICIT_LE): 1, (CT_IMAGE, IMPLICIT_LE): 3, (CT_IMAGE, EXPLICIT_LE): 5,
            (CT_IMAGE, EXPLICIT_BE): 7, (CT_IMAGE, DEFLATED): 9, (FIND, IMPLICIT_LE): 11,
            (MOVE, IMPLICIT_LE): 13, (GET, IMPLICIT_LE): 15}


def associate_rq(calling="FUZZSCU", called="FUZZSCP"):
    items = _pdu_item(0x10, b"1.2.840.10008.3.1.1.1")
    for (abstract, ts), pid in CONTEXTS.items():
        items += _pdu_item(0x20, bytes([pid, 0, 0, 0]) + _pdu_item(0x30, abstract.encode()) +
                           _pdu_item(0x40, ts.encode()))
    role = struct.pack(">H", len(CT_IMAGE)) + CT_IMAGE.encode() + b"\x00\x01"  # we store for C-GET
    items += _pdu_item(0x50, _pdu_item(0x51, struct.pack(">I", 16384)) + _pdu_item(0x52, b"1.2.3.4.5.6.7.8") +
                       _pdu_item(0x54, role))
    head = struct.pack(">HH", 1, 0) + called.encode().ljust(16) + calling.encode().ljust(16) + b"\0" * 32
    return pdu(0x01, head + items)


RELEASE_RQ = pdu(0x05, b"\0" * 4)
ABORT = pdu(0x07, b"\0" * 4)


def command(field, sop_class, message_id=1, dataset=True, sop_instance=None, destination=None,
            responding_to=None, status=None, extra=b""):
    """A command set in Implicit VR Little Endian, elements in tag order."""
    body = element(0x0000, 0x0002, "UI", _uid(sop_class), False)
    body += element(0x0000, 0x0100, "US", struct.pack("<H", field), False)
    if responding_to is None:
        body += element(0x0000, 0x0110, "US", struct.pack("<H", message_id), False)
    else:
        body += element(0x0000, 0x0120, "US", struct.pack("<H", responding_to), False)
    if destination is not None:
        body += element(0x0000, 0x0600, "AE", _text(destination), False)
    if field & 0x8000 == 0:
        body += element(0x0000, 0x0700, "US", struct.pack("<H", 0), False)
    body += element(0x0000, 0x0800, "US", struct.pack("<H", 0x0000 if dataset else 0x0101), False)
    if status is not None:
        body += element(0x0000, 0x0900, "US", struct.pack("<H", status), False)
    if sop_instance is not None:
        body += element(0x0000, 0x1000, "UI", _uid(sop_instance), False)
    body += extra
    return element(0x0000, 0x0000, "UL", struct.pack("<I", len(body)), False) + body


def pdata(pid, data, is_command, max_pdv=4096):
    """data as P-DATA-TF PDUs of one PDV each, at most max_pdv bytes a PDV."""
    out, parts = b"", [data[i:i + max_pdv] for i in range(0, len(data), max_pdv)] or [b""]
    for n, part in enumerate(parts):
        control = (1 if is_command else 0) | (2 if n == len(parts) - 1 else 0)
        out += pdu(0x04, struct.pack(">IBB", len(part) + 2, pid, control) + part)
    return out


def message(pid, cmd, dataset=None):
    return pdata(pid, cmd, True) + (pdata(pid, dataset, False) if dataset is not None else b"")


def streams():
    """What a peer sends on one connection, one scenario each."""
    echo = message(1, command(0x0030, VERIFICATION, dataset=False))
    q = query()
    out = [associate_rq() + echo + RELEASE_RQ, associate_rq() + echo + ABORT, associate_rq(), echo]
    for ts, data in instances()[:4]:
        store = command(0x0001, CT_IMAGE, 7, sop_instance="1.2.3.4.5.6")
        out.append(associate_rq() + message(CONTEXTS[(CT_IMAGE, ts)], store, data) + echo + RELEASE_RQ)
    out.append(associate_rq() + message(11, command(0x0020, FIND, 2), q) + RELEASE_RQ)
    out.append(associate_rq() + message(13, command(0x0021, MOVE, 3, destination="NOWHERE"), q) + RELEASE_RQ)
    answer = message(3, command(0x8001, CT_IMAGE, dataset=False, responding_to=1, status=0,
                                sop_instance="1.2.3.4.5"))
    out.append(associate_rq() + message(15, command(0x0010, GET, 4), q) + answer + RELEASE_RQ)
    out.append(associate_rq() + message(11, command(0x0FFF, FIND, dataset=False, responding_to=2)) + RELEASE_RQ)
    for ts, data in nested_samples():
        if ts in (IMPLICIT_LE, EXPLICIT_LE):
            store = command(0x0001, CT_IMAGE, 9, sop_instance="1.2.3.4.5.7")
            out.append(associate_rq() + message(CONTEXTS[(CT_IMAGE, ts)], store, data) + echo + RELEASE_RQ)
    for depth in (1, MAX_DEPTH + 1):  # a command that nests sequences
        deep = nested(depth, False, False)[len(element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), False)):]
        out.append(associate_rq() + message(1, command(0x0030, VERIFICATION, dataset=False, extra=deep)) +
                   RELEASE_RQ)
    return out

# ---- what a peer SCP answers our SCU (scu_fuzz) ----------------------------

# scu_fuzz's calls (its selector byte) and the contexts each association proposes.
ECHO_CALL, FIND_CALL, GET_CALL, MOVE_CALL, STORE_CALL, RELAY_CALL = range(6)
FIND_GET_MOVE = {"find": FIND, "move": MOVE, "get": GET}
SCU_MAX_DEPTH = 64  # transport.cc's limit for the peers we call
OPEN_IDS = [1, 3, 5, 7]  # Verification, Study Root FIND, Study Root MOVE, CT (cirr_dicom_scu_open)
RELAY_IDS = [1, 3, 5]  # Verification, Patient and Study Root MOVE (cirr_dicom_move_with_progress)


def associate_ac(ids, get_role=False, ts=IMPLICIT_LE):
    """Accept contexts ids in ts; get_role: grant us the SCP role for CT (C-GET)."""
    items = _pdu_item(0x10, b"1.2.840.10008.3.1.1.1")
    for pid in ids:
        items += _pdu_item(0x21, bytes([pid, 0, 0, 0]) + _pdu_item(0x40, ts.encode()))
    user = _pdu_item(0x51, struct.pack(">I", 16384)) + _pdu_item(0x52, b"1.2.3.4.5.6.7.8")
    if get_role:
        user += _pdu_item(0x54, struct.pack(">H", len(CT_IMAGE)) + CT_IMAGE.encode() + b"\x00\x01")
    head = struct.pack(">HH", 1, 0) + b"FUZZSCP".ljust(16) + b"FUZZSCU".ljust(16) + b"\0" * 32
    return pdu(0x02, head + items)


RELEASE_RP = pdu(0x06, b"\0" * 4)


def answer(pid, field, sop_class, status, dataset=None):
    cmd = command(field, sop_class, dataset=dataset is not None, responding_to=1, status=status)
    return message(pid, cmd, dataset)


def scu_streams():
    """(selector, what the peer SCP sends) for each SCU call, shallow and
    nested around the SCU's limit, in the match, the instance or the command."""
    ac = associate_ac(OPEN_IDS)
    match = query()
    out = [(ECHO_CALL, ac + answer(1, 0x8030, VERIFICATION, 0) + RELEASE_RP), (ECHO_CALL, ac), (ECHO_CALL, b""),
           (STORE_CALL, ac + answer(7, 0x8001, CT_IMAGE, 0) + RELEASE_RP),
           (MOVE_CALL, ac + answer(5, 0x8021, MOVE, 0xFF00) + answer(5, 0x8021, MOVE, 0) + RELEASE_RP),
           (RELAY_CALL, associate_ac(RELAY_IDS) + answer(5, 0x8021, MOVE, 0xFF00) + answer(5, 0x8021, MOVE, 0)
            + RELEASE_RP)]
    for depth in (1, SCU_MAX_DEPTH, SCU_MAX_DEPTH + 1):
        deep = match + nested(depth, False, False)[len(element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), False)):]
        out.append((FIND_CALL, ac + answer(3, 0x8020, FIND, 0xFF00, deep) + answer(3, 0x8020, FIND, 0)
                    + RELEASE_RP))
        out.append((MOVE_CALL, ac + answer(5, 0x8021, MOVE, 0xB000, deep) + RELEASE_RP))
        store = command(0x0001, CT_IMAGE, 9, sop_instance="1.2.3.4.5.7")
        out.append((GET_CALL, associate_ac(OPEN_IDS, get_role=True) + message(7, store, deep)
                    + answer(5, 0x8010, GET, 0) + RELEASE_RP))
        cmd = command(0x8030, VERIFICATION, dataset=False, responding_to=1, status=0,
                      extra=nested(depth, False, False)[len(element(0x0008, 0x0016, "UI", _uid(CT_IMAGE), False)):])
        out.append((ECHO_CALL, ac + message(1, cmd) + RELEASE_RP))
    for ts, data in instances()[:2]:
        store = command(0x0001, CT_IMAGE, 9, sop_instance="1.2.3.4.5.8")
        out.append((GET_CALL, associate_ac(OPEN_IDS, True, ts) + message(7, store, data)
                    + answer(5, 0x8010, GET, 0) + RELEASE_RP))
    return out

# ---- files -----------------------------------------------------------------


def write(folder, samples):
    os.makedirs(folder, exist_ok=True)
    for data in samples:
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def main(out):
    data = datasets()
    # Dataset target: selector (transfer syntax | PDV size << 2), then the bytes.
    write(os.path.join(out, "dataset_fuzz"),
          [bytes([SYNTAXES.index(ts) | (split << 2)]) + raw for ts, raw in data for split in (0, 5)])
    conversations = streams()
    write(os.path.join(out, "pdu_watch_fuzz"), [bytes([read]) + s for s in conversations for read in (0, 4)])
    write(os.path.join(out, "scp_fuzz"), conversations)
    write(os.path.join(out, "scu_fuzz"), [bytes([call]) + stream for call, stream in scu_streams()])
    print(f"seeds: {len(data) * 2} datasets, {len(conversations)} PDU streams in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m tests.fuzz.seeds OUTDIR")
    main(sys.argv[1])
