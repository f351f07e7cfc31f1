// transport.h: the connections an SCP accepts, below DCMTK's upper layer:
// every read and write has a deadline, and what arrives is followed
// (pdu_watch.h) before DCMTK parses it. The deadlines:
//  - the whole association request must arrive within request_ms of the
//    connection being accepted, however it trickles in;
//  - a message (a command with its dataset, or any PDU outside one) must
//    arrive within message_ms of its first byte, plus one second for every
//    min_rate bytes of it (so a large instance on a slow link still fits,
//    while a peer trickling bytes cannot stretch it);
//  - each write must be taken by the peer within the same allowance.
// Between messages, DCMTK's own DIMSE timeout applies.
#ifndef CIRR_DICOM_TRANSPORT_H
#define CIRR_DICOM_TRANSPORT_H

#include "internal.h"

#include <dcmtk/dcmnet/dcmlayer.h>

struct cirr_dicom_limits {
    unsigned request_ms; // the association request, from accept
    unsigned message_ms; // a message, from its first byte ...
    unsigned min_rate;   // ... plus 1 s per min_rate bytes of it (> 0)
    unsigned max_depth;  // sequences open at once in a command
};

// Makes the connections of an acceptor network (install with
// ASC_setTransportLayer).
class GuardedLayer : public DcmTransportLayer {
public:
    explicit GuardedLayer(const cirr_dicom_limits &limits) : limits_(limits) {}
    DcmTransportConnection *createConnection(DcmNativeSocketType fd, OFBool secure) override;

private:
    cirr_dicom_limits limits_;
};

// ASC_receiveAssociation for a connection already accepted (fd): DCMTK
// adopts fd (closed here when it does not) and reads the association
// request on this thread, under the request deadline of net's layer.
OFCondition cirr_dicom_receive_request(T_ASC_Network *net, int fd, long max_pdu, T_ASC_Association **assoc);

// Why this thread's connection was cut off (a deadline, a command nested
// too deeply), or NULL: a connection serves one association on one thread.
const char *cirr_dicom_transport_failure();

#endif
