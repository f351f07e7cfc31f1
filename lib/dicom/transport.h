// transport.h: the connections an SCP accepts and those an SCU opens,
// below DCMTK's upper layer: every read and write has a deadline, and what
// arrives is followed (pdu_watch.h) before DCMTK parses it. The deadlines:
//  - the whole association request (an SCP's) or answer (an SCU's) must
//    arrive within request_ms of the connection, however it trickles in;
//  - a message (a command with its dataset, or any PDU outside one) must
//    arrive within message_ms of its first byte, plus one second for every
//    min_rate bytes of it (so a large instance on a slow link still fits,
//    while a peer trickling bytes cannot stretch it);
//  - each write must be taken by the peer within the same allowance.
// Between messages, DCMTK's own DIMSE timeout applies.
#ifndef CIRR_DICOM_TRANSPORT_H
#define CIRR_DICOM_TRANSPORT_H

#include "internal.h"
#include "pdu_watch.h"

#include <dcmtk/dcmnet/dcmlayer.h>

// The limits when nobody set them: an SCP's (cirr_dicom_scp_limits' zeros)
// and those on the peers cirr calls. A real sender sends a message in one
// go: 30 s from its first byte, and 1 s more per 16 KiB (a slow link), are
// ample. Real data rarely nests sequences more than 5 deep, the deepest
// structured reports a few times that; 64 leaves room to spare, while
// DCMTK's parser 64 levels deep takes a small part of a thread's stack (it
// recurses once per level: thousands of levels overflow it).
constexpr unsigned cirr_dicom_default_message_s = 30, cirr_dicom_default_min_rate = 16384,
                   cirr_dicom_default_max_depth = 64;

struct cirr_dicom_limits {
    unsigned request_ms; // the association request, from accept
    unsigned message_ms; // a message, from its first byte ...
    unsigned min_rate;   // ... plus 1 s per min_rate bytes of it (> 0)
    unsigned max_depth;  // sequences open at once in a command (and, from a peer SCP, a dataset)
};

// Makes the connections of an acceptor network (install with
// ASC_setTransportLayer), or with peer SCP those of a requestor network.
class GuardedLayer : public DcmTransportLayer {
public:
    explicit GuardedLayer(const cirr_dicom_limits &limits, PduWatch::Peer peer = PduWatch::Peer::scu)
        : limits_(limits), peer_(peer) {}
    DcmTransportConnection *createConnection(DcmNativeSocketType fd, OFBool secure) override;

private:
    cirr_dicom_limits limits_;
    PduWatch::Peer peer_;
};

// Give a requestor network (before ASC_requestAssociation) guarded
// connections: the association answer within acse_timeout seconds, then
// the defaults of cirr_dicom_scp_limits (30 s a message, 64 levels).
OFCondition cirr_dicom_guard_requestor(T_ASC_Network *net, unsigned acse_timeout);

// After ASC_requestAssociation succeeded on such a network: tell the watch
// the accepted contexts' transfer syntaxes, in which it checks the peer's
// datasets.
void cirr_dicom_guard_accepted(T_ASC_Association *assoc);

// A message from the peer on such an association must arrive whole within
// dimse_timeout seconds of its first byte (plus 1 s per 16 KiB of it): the
// DIMSE timeout bounds the wait for an answer, and now its arrival too,
// which a peer trickling bytes or small PDUs cannot stretch. 0: 30 s.
void cirr_dicom_guard_answer_time(T_ASC_Association *assoc, unsigned dimse_timeout);

// While on, what DCMTK writes to the association (two writes a PDU: four
// for a C-FIND match or a C-STORE request) is gathered and sent 16 KiB at a
// time, and before any wait for the peer (so a request is sent before its
// answer is awaited); turning it off sends the rest, and fails when that
// could not be sent. Connections that are not guarded write as before.
OFCondition cirr_dicom_gather_writes(T_ASC_Association *assoc, bool on);

// The status of an SCU's ASC_requestAssociation that ended with cond: when
// its guarded connection cut the peer off (call on the same thread), why.
cirr_dicom_status cirr_dicom_scu_request_condition(const OFCondition &cond, const char *what);

// The status of an SCU call on assoc that ended with cond: when its
// guarded connection cut the peer off, why (e.g. "the peer answered with
// sequences nested deeper than 64 ..."), else DCMTK's condition.
cirr_dicom_status cirr_dicom_scu_condition(T_ASC_Association *assoc, const OFCondition &cond, const char *what);

// ASC_receiveAssociation for a connection already accepted (fd): DCMTK
// adopts fd (closed here when it does not) and reads the association
// request on this thread, under the request deadline of net's layer.
OFCondition cirr_dicom_receive_request(T_ASC_Network *net, int fd, long max_pdu, T_ASC_Association **assoc);

// Why this thread's SCP connection was cut off (a deadline, a command
// nested too deeply), or NULL: it serves one association on one thread.
const char *cirr_dicom_transport_failure();

#endif
