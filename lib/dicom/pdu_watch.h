// pdu_watch.h: what a peer's bytes are, followed as they arrive, before
// DCMTK reads them: PDUs (PS3.8), the PDVs of P-DATA, and messages (a
// command, with the dataset that follows it). It tells the connection when
// a message began (for its deadline) and checks each command's nesting:
// DCMTK parses a command (and a dataset PDV that comes where a command is
// due) with the same recursive parser as a dataset. Datasets depend on who
// the peer is. A peer that called us (an SCU): the datasets that follow
// C-STORE, C-FIND, C-MOVE and C-GET requests are left to the SCP, which
// checks them itself before parsing (receive.h), so that it can answer
// with a status. A peer we called (an SCP): every dataset it sends (C-FIND
// matches, C-MOVE and C-GET identifiers, the C-STOREs of a C-GET) is
// checked here, in its presentation context's transfer syntax, as DCMTK's
// DIMSE calls parse them with no hook between (nesting.h's DatasetScan).
#ifndef CIRR_DICOM_PDU_WATCH_H
#define CIRR_DICOM_PDU_WATCH_H

#include "nesting.h"

#include <cstdint>
#include <memory>

class PduWatch {
public:
    enum class Peer { scu, scp }; // what the peer whose bytes are followed is
    explicit PduWatch(unsigned max_depth, Peer peer = Peer::scu);
    // A peer SCP accepted context id with transfer syntax ts (as DCMTK
    // parsed its A-ASSOCIATE-AC): its datasets on id are read in ts. A
    // dataset on any other context cuts the peer off.
    void accepted(uint8_t id, E_TransferSyntax ts) { syntaxes_[id] = ts; }
    // Follow n more bytes, received at now_ms; false: the peer is to be
    // cut off, why() says why.
    bool feed(const uint8_t *bytes, size_t n, int64_t now_ms);
    const char *why() const { return why_; }
    // The first PDU (the association request) has arrived whole.
    bool request_done() const { return request_done_; }
    // A message (or a PDU outside one) has begun and not yet ended: when,
    // and how many of its bytes have arrived.
    bool in_message() const { return in_message_; }
    int64_t message_start() const { return message_start_; }
    uint64_t message_bytes() const { return message_bytes_; }

private:
    size_t take(uint8_t *head, unsigned *have, const uint8_t *bytes, size_t n);
    size_t pdu_body(const uint8_t *bytes, size_t n);
    void pdu_done();
    void pdv_begin();
    void pdv_done();
    bool dataset_follows() const;
    void dataset_begin();
    void dataset_bytes(const uint8_t *bytes, size_t n);
    void dataset_done();
    void refuse(const char *what, Nesting verdict);

    unsigned max_depth_;
    Peer peer_;
    E_TransferSyntax syntaxes_[256]; // by context id; EXS_Unknown: not accepted
    std::unique_ptr<DatasetScan> dataset_; // the peer SCP's dataset being read
    uint8_t dataset_context_ = 0;
    char why_buf_[120] = "";
    uint8_t pdu_head_[6], pdv_head_[6];
    unsigned pdu_have_ = 0, pdv_have_ = 0;
    bool in_pdu_ = false, in_pdv_ = false;
    uint8_t pdu_type_ = 0;
    uint64_t pdu_left_ = 0, pdv_left_ = 0;
    bool pdv_command_ = false, pdv_last_ = false, pdv_checked_ = false;
    bool expect_command_ = true;
    std::unique_ptr<NestingScan> command_; // the command (or stray dataset PDV) being read
    bool request_done_ = false, in_message_ = false;
    int64_t message_start_ = 0;
    uint64_t message_bytes_ = 0;
    const char *why_ = nullptr;
};

#endif
