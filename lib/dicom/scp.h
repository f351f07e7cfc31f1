// scp.h: what the SCP's files share (scp.cc: associations and their
// services; accept.cc: the accept loop). Never included by C code.
#ifndef CIRR_DICOM_SCP_H
#define CIRR_DICOM_SCP_H

#include "internal.h"

#include <atomic>
#include <string>
#include <vector>

struct cirr_dicom_scp {
    cirr_dicom_scp_config cfg; // with the defaults filled in
    cirr_dicom_scp_limits limits; // likewise
    cirr_dicom_handlers h;
    std::string aet;
    std::vector<std::string> allowed;
    std::vector<std::string> ts;
    std::vector<const char *> ts_ptrs;
    T_ASC_Network *net = nullptr;
    std::atomic<bool> stop{false};
    std::atomic<unsigned> active{0};  // associations holding a slot
    std::atomic<unsigned> pending{0}; // connections still sending their request
    std::atomic<unsigned long> next_id{1};
};

// What one association did, for its log line.
struct Tally {
    unsigned echoes = 0, stores = 0, store_failures = 0, finds = 0, matches = 0, retrieves = 0,
             sent = 0;
    std::string end = "released";
    const char *refused = nullptr; // why a dataset was refused unparsed (the last one)
};

// Answer an association whose request has arrived and which holds a slot,
// serve it until it ends, and log it (association_done). The caller drops
// and destroys it.
void cirr_dicom_association(cirr_dicom_scp *scp, T_ASC_Association *assoc);

void cirr_dicom_reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
                       T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason);

// Serve one accepted connection to its end: its association request,
// then the association (fd is closed). The caller has counted it in
// scp->pending. The accept loop runs it on a thread of its own; the fuzz
// target tests/fuzz/scp_fuzz.cc calls it directly, on a socketpair.
void cirr_dicom_connection(cirr_dicom_scp *scp, int fd);

// Accept connections until scp->stop, each on its own thread; then wait
// (bounded) for the running ones to end.
void cirr_dicom_accept_loop(cirr_dicom_scp *scp);

#endif
