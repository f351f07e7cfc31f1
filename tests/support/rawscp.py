"""An SCP on plain sockets that answers whatever it is told to: a hostile
or broken PACS (or archive) for cirr's SCUs. It accepts every association
(each context in Implicit VR Little Endian when offered, else Explicit;
SCP/SCU role selections echoed), answers C-ECHO, and answers every other
request as its `answer` says, one mode for all or {"find": mode, "get":
mode, "move": mode, "store": mode} ("proper" for those left out) (PS3.8
PDUs, PS3.7 command sets):

  "proper":  one match, one instance, success.
  "nested":  C-FIND: one pending match nested `depth` sequences deep, then
             success; C-GET: a C-STORE-RQ of such an instance on our
             association, then success; C-MOVE: a final answer whose
             identifier (the failed instances) is nested so; C-STORE: an
             answer whose command nests so (DCMTK refuses a dataset after
             a C-STORE answer before reading it).
  "trickle": the proper answer in PDUs of 2 bytes of PDV each (so that each
             PDU arrives within a DIMSE timeout), sent a byte every
             `every` seconds.
  "stall":   the first 20 bytes of the proper answer (inside a PDU),
             then nothing; the association stays open.
  "silent":  nothing at all; the association stays open.

.requests counts the requests (other than C-ECHO) it was sent."""
import socket
import struct
import threading
import time

from tests.support.rawscu import IMPLICIT_LE, _item, _read_pdu

EXPLICIT_LE = "1.2.840.10008.1.2.1"
C_STORE_RQ, C_STORE_RSP, C_FIND_RSP, C_GET_RSP, C_MOVE_RSP, C_ECHO_RSP = \
    0x0001, 0x8001, 0x8020, 0x8010, 0x8021, 0x8030
NAMES = {0x0001: "store", 0x0020: "find", 0x0010: "get", 0x0021: "move"}
RESPONSE_OF = {0x0001: C_STORE_RSP, 0x0020: C_FIND_RSP, 0x0010: C_GET_RSP, 0x0021: C_MOVE_RSP, 0x0030: C_ECHO_RSP}
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
SQ_TAG = (0x0008, 0x1115)  # Referenced Series Sequence: SQ in the dictionary


def _element(group, elem, value, explicit, vr):
    if isinstance(value, str):
        value = value.encode("latin-1")
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    if not explicit:
        return struct.pack("<HHI", group, elem, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr.encode(), len(value)) + value


def _nested(explicit, depth):
    """A sequence element nested depth levels deep (undefined lengths)."""
    head = (struct.pack("<HH2sHI", *SQ_TAG, b"SQ", 0, 0xFFFFFFFF) if explicit
            else struct.pack("<HHI", *SQ_TAG, 0xFFFFFFFF))
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    return (head + item) * depth + end * depth


def identifier(explicit, depth=0, sop_uid="1.2.826.0.1.3680043.2.1143.7.1"):
    """A study's (or an instance's) identifier; depth > 0: a sequence
    nested depth levels deep at its end (undefined lengths)."""
    e = lambda g, el, v, vr: _element(g, el, v, explicit, vr)  # noqa: E731
    nested = _nested(explicit, depth) if depth else b""
    return (e(0x0008, 0x0016, CT_IMAGE, "UI") + e(0x0008, 0x0018, sop_uid, "UI") + e(0x0008, 0x0020, "20260101", "DA")
            + e(0x0008, 0x0052, "STUDY", "CS") + e(0x0008, 0x0060, "CT", "CS") + nested
            + e(0x0010, 0x0010, "RAW^SCP", "PN") + e(0x0010, 0x0020, "RAW1", "LO")
            + e(0x0020, 0x000D, "1.2.826.0.1.3680043.2.1143.7", "UI")
            + e(0x0020, 0x000E, "1.2.826.0.1.3680043.2.1143.7.0", "UI"))


def command(field, fields, depth=0):
    """A command set: field (Command Field) and fields {elem: value} in
    group 0, sorted; values int are US, str UI or AE. depth > 0: ends with
    an element (0000,5000) of undefined length (an unknown tag, which DCMTK
    reads as a sequence) holding sequences nested depth levels deep."""
    body = b""
    for elem, value in sorted({0x0100: field, **fields}.items()):
        raw = struct.pack("<H", value) if isinstance(value, int) else value.encode("latin-1")
        if len(raw) % 2:
            raw += b"\0"
        body += struct.pack("<HHI", 0, elem, len(raw)) + raw
    if depth:
        body += struct.pack("<HHI", 0, 0x5000, 0xFFFFFFFF) + _nested(False, depth - 1)[8:]
    return struct.pack("<HHII", 0, 0, 4, len(body)) + body


def _parse(data):
    """Implicit VR LE elements at the top level of a command: {elem: raw}."""
    out, at = {}, 0
    while at + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHI", data, at)
        out[(group, elem)] = data[at + 8:at + 8 + length]
        at += 8 + length
    return out


def _items(data, at):
    """The (type, value) of each PS3.8 item (or sub-item) in data from at."""
    while at + 4 <= len(data):
        length = struct.unpack_from(">H", data, at + 2)[0]
        yield data[at], data[at + 4:at + 4 + length]
        at += 4 + length


def _us(fields, elem):
    return struct.unpack("<H", fields[(0, elem)][:2])[0]


def _text(fields, elem):
    return fields.get((0, elem), b"").rstrip(b"\0 ").decode("latin-1")


class RawSCP:
    def __init__(self, answer, depth=20000, every=2.0, aet="RAWSCP"):
        self.answer, self.depth, self.every, self.aet = answer, depth, every, aet
        self.requests = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        self.stopping = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            with conn:
                kind, body = _read_pdu(conn)
                if kind != 0x01:
                    return
                self.contexts, self.max_pdu = {}, 16384
                conn.sendall(self._associate_ac(body))
                while not self.stopping:
                    kind, body = _read_pdu(conn)
                    if kind == 0x05:  # A-RELEASE-RQ
                        conn.sendall(struct.pack(">BBI", 0x06, 0, 4) + b"\0" * 4)
                        return
                    if kind != 0x04:
                        return
                    self._message(conn, body)
        except (OSError, ConnectionError, struct.error):
            pass

    def _associate_ac(self, rq):
        """Accept every context of the request rq (its PDU body)."""
        items = b""
        for kind, value in _items(rq, 68):
            if kind == 0x20:
                items += self._context(value)
            elif kind == 0x50:
                items += _item(0x50, self._user_info(value))
        body = (struct.pack(">HH", 1, 0) + rq[4:20] + rq[20:36] + b"\0" * 32
                + _item(0x10, b"1.2.840.10008.3.1.1.1") + items)
        return struct.pack(">BBI", 0x02, 0, len(body)) + body

    def _context(self, value):
        cid, syntaxes, abstract = value[0], [], ""
        for kind, sub in _items(value, 4):
            text = sub.rstrip(b"\0").decode()
            if kind == 0x30:
                abstract = text
            elif kind == 0x40:
                syntaxes.append(text)
        chosen = next((ts for ts in (IMPLICIT_LE, EXPLICIT_LE) if ts in syntaxes), None)
        if chosen:
            self.contexts[cid] = (abstract, chosen == EXPLICIT_LE)
        return _item(0x21, bytes([cid, 0, 0 if chosen else 4, 0]) + _item(0x40, (chosen or IMPLICIT_LE).encode()))

    def _user_info(self, value):
        out = b""
        for kind, sub in _items(value, 0):
            if kind == 0x51:
                self.max_pdu = struct.unpack(">I", sub)[0] or 1 << 20
                out += _item(0x51, struct.pack(">I", 16384))
            elif kind == 0x54:
                out += _item(0x54, sub)  # the roles asked for, granted
        return out + _item(0x52, b"1.2.3.4.5.6.7.8.9")

    def _read_message(self, conn, first):
        """The command (and dataset) that began with P-DATA body first."""
        cmd, data, cid, body, in_data, last = b"", b"", 1, first, False, 0
        while True:
            at = 0
            while at + 6 <= len(body):
                length, cid, control = struct.unpack_from(">IBB", body, at)
                if control & 1:
                    cmd += body[at + 6:at + 4 + length]
                else:
                    data += body[at + 6:at + 4 + length]
                    in_data = True
                at += 4 + length
                last = control & 2
            fields = _parse(cmd)
            wants_data = (0, 0x0800) in fields and _us(fields, 0x0800) != 0x0101
            if last and (in_data or not wants_data):
                return cid, fields
            kind, body = _read_pdu(conn)

    def _message(self, conn, body):
        cid, rq = self._read_message(conn, body)
        field, msg_id = _us(rq, 0x0100), _us(rq, 0x0110)
        sop_class = _text(rq, 0x0002)
        if field == 0x0030:
            return conn.sendall(self._pdata(cid, self._response(C_ECHO_RSP, msg_id, sop_class, 0)))
        self.requests += 1
        mode = self.answer if isinstance(self.answer, str) else self.answer.get(NAMES.get(field), "proper")
        if mode == "silent":
            return
        out = self._answers(cid, field, msg_id, sop_class, self.depth if mode == "nested" else 0,
                            2 if mode == "trickle" else None)
        if mode == "stall":
            return conn.sendall(out[:20])  # a PDU begun, then silence
        if mode != "trickle":
            return conn.sendall(out)
        for i in range(len(out)):
            if self.stopping:
                return
            conn.sendall(out[i:i + 1])
            time.sleep(self.every)

    def _answers(self, cid, field, msg_id, sop_class, depth, pdv):
        explicit = self.contexts.get(cid, ("", False))[1]
        final = lambda ds=None: self._pdata(  # noqa: E731
            cid, self._response(RESPONSE_OF[field], msg_id, sop_class, 0, ds is not None), ds, pdv)
        if field == 0x0020:  # C-FIND
            pending = self._pdata(cid, self._response(C_FIND_RSP, msg_id, sop_class, 0xFF00, True),
                                  identifier(explicit, depth), pdv)
            return pending + final()
        if field == 0x0010:  # C-GET: the instance comes back on a storage context
            store_cid = next((c for c, (a, _) in self.contexts.items() if a == CT_IMAGE), cid)
            store_explicit = self.contexts.get(store_cid, ("", False))[1]
            store = command(C_STORE_RQ, {0x0002: CT_IMAGE, 0x0110: 77, 0x0700: 0, 0x0800: 0,
                                         0x1000: "1.2.826.0.1.3680043.2.1143.7.1"})
            return self._pdata(store_cid, store, identifier(store_explicit, depth), pdv) + final()
        if field == 0x0021:  # C-MOVE: the failed list, nested (or none)
            return final(identifier(explicit, depth) if depth else None)
        if field == 0x0001:  # C-STORE: DCMTK takes no dataset after its answer; the command nests
            return self._pdata(cid, self._response(C_STORE_RSP, msg_id, sop_class, 0, depth=depth), None, pdv)
        return final()

    def _response(self, field, msg_id, sop_class, status, with_data=False, depth=0):
        return command(field, {0x0002: sop_class, 0x0120: msg_id, 0x0800: 0 if with_data else 0x0101,
                               0x0900: status}, depth)

    def _pdata(self, cid, cmd, data=None, pdv=None):
        """P-DATA-TF PDUs, one PDV each: the command, then the dataset, in
        PDVs of pdv bytes (None: as large as the peer's maximum PDU allows)."""
        room = pdv or max(self.max_pdu - 6, 256) & ~1
        return self._pdvs(cid, cmd, True, room) + (b"" if data is None else self._pdvs(cid, data, False, room))

    @staticmethod
    def _pdvs(cid, payload, is_command, room):
        out = b""
        for at in range(0, len(payload), room):
            chunk, last = payload[at:at + room], at + room >= len(payload)
            control = (1 if is_command else 0) | (2 if last else 0)
            out += struct.pack(">BBI", 0x04, 0, len(chunk) + 6) + struct.pack(">IBB", len(chunk) + 2, cid, control) + chunk
        return out
