// retrieve.cc: C-MOVE and C-GET: the handler says which instances; this
// file sends them as C-STORE sub-operations and reports progress.
#include "retrieve.h"

#include "cirr_dicom_final_status.h"
#include "receive.h"
#include "transport.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

namespace {

// The provider's final status for the retrieve running on this thread (0:
// none; see cirr_dicom_final_status.h), and whether one is running.
thread_local uint16_t provider_status = 0;
thread_local bool in_retrieve = false;

// The status to answer last: the counts' own, or the provider's failure.
uint16_t final_answer(uint16_t counted)
{
    uint16_t status = counted == STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication || !provider_status
                          ? counted : provider_status;
    provider_status = 0;
    in_retrieve = false;
    return status;
}

struct Counts {
    unsigned remaining = 0, completed = 0, failed = 0, warning = 0;
    std::string failed_uids;
};

// What send() writes to assoc leaves in one send() (a pending response:
// two writes, four with identifiers).
template <typename Send>
OFCondition gathered(T_ASC_Association *assoc, Send send)
{
    cirr_dicom_gather_writes(assoc, true);
    OFCondition sent = send();
    OFCondition flushed = cirr_dicom_gather_writes(assoc, false);
    return sent.bad() ? sent : flushed;
}

// One C-STORE sub-operation over sub, on the presentation context pid;
// the peer's answer in *rsp, within timeout seconds (0: no limit).
OFCondition store_one(T_ASC_Association *sub, T_ASC_PresentationContextID pid, DcmDataset *ds,
                      const OFString &sop_class, const OFString &sop_instance, const char *origin_aet,
                      DIC_US origin_id, unsigned timeout, T_DIMSE_C_StoreRSP *rsp)
{
    T_DIMSE_C_StoreRQ req = {};
    cirr_dicom_init_request(sub, &req, sop_class.c_str());
    OFStandard::strlcpy(req.AffectedSOPInstanceUID, sop_instance.c_str(), sizeof req.AffectedSOPInstanceUID);
    if (origin_aet) { // C-MOVE
        req.opts = O_STORE_MOVEORIGINATORAETITLE | O_STORE_MOVEORIGINATORID;
        OFStandard::strlcpy(req.MoveOriginatorApplicationEntityTitle, origin_aet,
                            sizeof req.MoveOriginatorApplicationEntityTitle);
        req.MoveOriginatorID = origin_id;
    }
    DcmDataset *detail = nullptr;
    // The request's writes (four for a small instance) leave in one send(),
    // made before the answer is awaited.
    OFCondition cond = gathered(sub, [&] {
        return DIMSE_storeUser(sub, pid, &req, nullptr, ds, nullptr, nullptr,
                               timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING, (int)timeout, rsp, &detail);
    });
    delete detail;
    return cond;
}

void count(Counts *c, bool sent, uint16_t status, const OFString &sop_instance)
{
    if (sent && status == STATUS_Success) {
        c->completed++;
    } else if (sent && (status & 0xf000) == 0xb000) {
        c->warning++;
    } else {
        c->failed++;
        if (!c->failed_uids.empty())
            c->failed_uids += "\\";
        c->failed_uids += sop_instance.c_str();
    }
}

// Send instance i over sub (the requestor's own association for C-GET,
// where origin_aet is NULL); updates counts. Returns a failure of the
// requestor's association (nothing more can go over it), else EC_Normal.
OFCondition send_one(cirr_dicom_instances *inst, size_t i, T_ASC_Association *sub, const char *origin_aet,
                     DIC_US origin_id, unsigned timeout, Counts *c)
{
    cirr_dicom_dataset *ds = nullptr;
    c->remaining--;
    if (inst->fetch(inst->ctx, i, &ds) != CIRR_DICOM_OK || !ds) {
        c->failed++;
        return EC_Normal;
    }
    OFString sop_class, sop_instance;
    ds->ds->findAndGetOFString(DCM_SOPClassUID, sop_class);
    ds->ds->findAndGetOFString(DCM_SOPInstanceUID, sop_instance);
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(sub, sop_class.c_str());
    T_ASC_PresentationContext pc;
    bool ok = pid != 0 && ASC_findAcceptedPresentationContext(sub->params, pid, &pc).good() &&
              cirr_dicom_prepare_ts(ds->ds, DcmXfer(pc.acceptedTransferSyntax).getXfer()) == CIRR_DICOM_OK;
    T_DIMSE_C_StoreRSP rsp = {};
    OFCondition cond = ok ? store_one(sub, pid, ds->ds, sop_class, sop_instance, origin_aet, origin_id, timeout, &rsp)
                          : EC_Normal;
    count(c, ok && cond.good(), rsp.DimseStatus, sop_instance);
    if (inst->sent)
        inst->sent(inst->ctx, ds);
    else
        cirr_dicom_dataset_free(ds);
    return origin_aet ? EC_Normal : cond;
}

DcmDataset *failed_list(const Counts &c)
{
    if (c.failed_uids.empty())
        return nullptr;
    auto *ds = new DcmDataset;
    ds->putAndInsertString(DCM_FailedSOPInstanceUIDList, c.failed_uids.c_str());
    return ds;
}

uint16_t final_status(const Counts &c, bool cancelled)
{
    if (cancelled)
        return STATUS_MOVE_Cancel_SubOperationsTerminatedDueToCancelIndication;
    if (c.failed || c.warning)
        return STATUS_MOVE_Warning_SubOperationsCompleteOneOrMoreFailures;
    return STATUS_Success;
}

// The C-MOVE and C-GET responses have the same fields, and DCMTK gives
// their flags (and "SOP class not supported") the same values under two
// names: one set serves both.
static_assert(O_MOVE_AFFECTEDSOPCLASSUID == O_GET_AFFECTEDSOPCLASSUID &&
                  O_MOVE_NUMBEROFREMAININGSUBOPERATIONS == O_GET_NUMBEROFREMAININGSUBOPERATIONS &&
                  O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS == O_GET_NUMBEROFCOMPLETEDSUBOPERATIONS &&
                  O_MOVE_NUMBEROFFAILEDSUBOPERATIONS == O_GET_NUMBEROFFAILEDSUBOPERATIONS &&
                  O_MOVE_NUMBEROFWARNINGSUBOPERATIONS == O_GET_NUMBEROFWARNINGSUBOPERATIONS &&
                  STATUS_MOVE_Failed_SOPClassNotSupported == STATUS_GET_Failed_SOPClassNotSupported &&
                  STATUS_MOVE_Failed_UnableToProcess == STATUS_GET_Failed_UnableToProcess,
              "C-MOVE and C-GET response flags or statuses differ");

template <typename Request> struct ResponseTo;
template <> struct ResponseTo<T_DIMSE_C_MoveRQ> { using type = T_DIMSE_C_MoveRSP; };
template <> struct ResponseTo<T_DIMSE_C_GetRQ> { using type = T_DIMSE_C_GetRSP; };

// One C-MOVE or C-GET being served: where its answers go, and its counts.
template <typename Request>
struct Retrieve {
    T_ASC_Association *assoc;
    T_ASC_PresentationContextID pres;
    Request *req;
    Counts c;
};

OFCondition send_response(Retrieve<T_DIMSE_C_MoveRQ> &r, T_DIMSE_C_MoveRSP *rsp, DcmDataset *ids)
{
    return gathered(r.assoc, [&] { return DIMSE_sendMoveResponse(r.assoc, r.pres, r.req, rsp, ids, nullptr); });
}

OFCondition send_response(Retrieve<T_DIMSE_C_GetRQ> &r, T_DIMSE_C_GetRSP *rsp, DcmDataset *ids)
{
    return gathered(r.assoc, [&] { return DIMSE_sendGetResponse(r.assoc, r.pres, r.req, rsp, ids, nullptr); });
}

// Answer with status and the counts so far; the final answer also lists
// the instances that failed.
template <typename Request>
OFCondition respond(Retrieve<Request> &r, uint16_t status, bool final)
{
    typename ResponseTo<Request>::type rsp = {};
    rsp.MessageIDBeingRespondedTo = r.req->MessageID;
    OFStandard::strlcpy(rsp.AffectedSOPClassUID, r.req->AffectedSOPClassUID, sizeof rsp.AffectedSOPClassUID);
    rsp.DimseStatus = status;
    rsp.DataSetType = DIMSE_DATASET_NULL;
    rsp.opts = O_MOVE_AFFECTEDSOPCLASSUID | O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS |
               O_MOVE_NUMBEROFFAILEDSUBOPERATIONS | O_MOVE_NUMBEROFWARNINGSUBOPERATIONS |
               (final ? 0 : O_MOVE_NUMBEROFREMAININGSUBOPERATIONS);
    rsp.NumberOfRemainingSubOperations = (DIC_US)r.c.remaining;
    rsp.NumberOfCompletedSubOperations = (DIC_US)r.c.completed;
    rsp.NumberOfFailedSubOperations = (DIC_US)r.c.failed;
    rsp.NumberOfWarningSubOperations = (DIC_US)r.c.warning;
    DcmDataset *ids = final ? failed_list(r.c) : nullptr;
    if (ids)
        rsp.DataSetType = DIMSE_DATASET_PRESENT;
    OFCondition cond = send_response(r, &rsp, ids);
    delete ids;
    return cond;
}

// Receive the identifier (the query) that follows the request. One that
// is refused unparsed (nested too deeply) is answered here, 0xC000, and
// leaves *query NULL and *refused saying why.
template <typename Request>
OFCondition receive_query(Retrieve<Request> &r, const cirr_dicom_scp &scp, DcmDataset **query, Tally *tally)
{
    const char *why = nullptr;
    OFCondition cond = cirr_dicom_receive_dataset(r.assoc, scp.cfg.dimse_timeout, scp.limits.max_depth, r.pres,
                                                  query, &why);
    if (cond.bad())
        return cond;
    tally->retrieves++;
    if (*query)
        return cond;
    tally->refused = why;
    return respond(r, STATUS_MOVE_Failed_UnableToProcess, true);
}

// Ask the handler which instances the query names (the query is deleted
// here): STATUS_Success with *inst filled and counted as remaining, or the
// failure status to answer with.
uint16_t ask_handler(const cirr_dicom_handlers &h, const cirr_dicom_peer *peer, const char *sop_class,
                     DcmDataset *query, cirr_dicom_instances *inst, Counts *c)
{
    cirr_dicom_dataset q = cirr_dicom_wrap(query);
    uint16_t status = h.retrieve ? h.retrieve(peer, sop_class, &q, inst, h.ud)
                                 : STATUS_MOVE_Failed_SOPClassNotSupported;
    delete query;
    if (status == STATUS_Success)
        c->remaining = (unsigned)inst->count;
    return status;
}

// A pending answer goes out after the first instance, then at most every
// pending_every: PS3.4 leaves their number to the provider, each costs both
// sides a send, a wake-up and a read (a relay twice over: it reads the
// PACS's and writes its own), and a few a second show any progress. A
// caller still hears at least that often, or after every instance when
// each takes longer.
constexpr auto pending_every = std::chrono::milliseconds(200);

// Send every instance over sub (the destination's association for C-MOVE,
// the requestor's own for C-GET; origin_aet NULL for C-GET), with pending
// answers as above, until done or cancelled. *status is then the final
// status; a failed answer's condition is returned.
template <typename Request>
OFCondition send_all(Retrieve<Request> &r, cirr_dicom_instances *inst, T_ASC_Association *sub,
                     const char *origin_aet, unsigned timeout, unsigned *sent, uint16_t *status)
{
    OFCondition cond = EC_Normal;
    bool cancelled = false;
    auto looked = std::chrono::steady_clock::now() - std::chrono::milliseconds(20); // look before the first
    auto answered = looked - pending_every;                                         // answer after the first
    for (size_t i = 0; i < inst->count && cond.good(); i++) {
        // A C-CANCEL is looked for before the first instance, then at most
        // every 20 ms: each look is a system call, and a small instance
        // takes less than that. Anything but a C-CANCEL ends the
        // association: what followed it would be read as a command,
        // unchecked (see pdu_watch.h).
        auto now = std::chrono::steady_clock::now();
        if (now - looked >= std::chrono::milliseconds(20)) {
            looked = now;
            OFCondition cancel = DIMSE_checkForCancelRQ(r.assoc, r.pres, r.req->MessageID);
            if (cancel != DIMSE_NODATAAVAILABLE) {
                cancelled = cancel.good();
                cond = cancel;
                break;
            }
        }
        cond = send_one(inst, i, sub, origin_aet, r.req->MessageID, timeout, &r.c);
        (*sent)++;
        auto sent_at = std::chrono::steady_clock::now();
        if (cond.good() && sent_at - answered >= pending_every) {
            answered = sent_at;
            cond = respond(r, STATUS_Pending, false);
        }
    }
    *status = final_status(r.c, cancelled);
    return cond;
}

std::vector<std::string> classes_of(const cirr_dicom_instances &inst)
{
    std::set<std::string> set;
    for (size_t i = 0; i < inst.count && set.size() < 120; i++)
        if (const char *c = inst.sop_class(inst.ctx, i))
            set.insert(c);
    return std::vector<std::string>(set.begin(), set.end());
}

// Propose Verification, then each SOP class with the transfer syntaxes ts
// (NULL: Explicit then Implicit VR Little Endian), then each of
// scp_role_classes with the SCP role for us (C-GET: the peer stores to us).
void propose(T_ASC_Parameters *params, const std::vector<std::string> &sop_classes, const char *const *ts,
             const std::vector<std::string> &scp_role_classes)
{
    static const char *const defaults[] = {UID_LittleEndianExplicitTransferSyntax,
                                           UID_LittleEndianImplicitTransferSyntax, nullptr};
    if (!ts)
        ts = defaults;
    int nts = 0;
    while (ts[nts])
        nts++;
    const char *echo_ts[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
    ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, echo_ts, 2);
    T_ASC_PresentationContextID id = 3;
    for (const auto &c : sop_classes) {
        if (id > 253)
            break; // 127 contexts at most
        ASC_addPresentationContext(params, id, c.c_str(), const_cast<const char **>(ts), nts);
        id += 2;
    }
    for (const auto &c : scp_role_classes) {
        if (id > 253)
            break;
        ASC_addPresentationContext(params, id, c.c_str(), const_cast<const char **>(ts), nts, ASC_SC_ROLE_SCP);
        id += 2;
    }
}

} // namespace

cirr_dicom_status cirr_dicom_request(const char *host, unsigned port, const char *called,
                                     const char *calling, unsigned acse_timeout, unsigned max_pdu,
                                     const std::vector<std::string> &sop_classes,
                                     const char *const *ts, T_ASC_Network **net,
                                     T_ASC_Association **assoc,
                                     const std::vector<std::string> &scp_role_classes)
{
    OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, (int)(acse_timeout ? acse_timeout : 30), net);
    if (cond.good() && (cond = cirr_dicom_guard_requestor(*net, acse_timeout)).bad())
        ASC_dropNetwork(net);
    if (cond.bad())
        return cirr_dicom_from_condition(cond, "network");
    T_ASC_Parameters *params = nullptr;
    ASC_createAssociationParameters(&params, (long)(max_pdu ? max_pdu : ASC_DEFAULTMAXPDU));
    ASC_setAPTitles(params, calling, called, nullptr);
    char peer[300];
    snprintf(peer, sizeof peer, "%s:%u", host, port);
    ASC_setPresentationAddresses(params, "localhost", peer);
    propose(params, sop_classes, ts, scp_role_classes);
    cond = ASC_requestAssociation(*net, params, assoc);
    if (cond.bad()) {
        cirr_dicom_status s = cirr_dicom_scu_request_condition(cond, "association");
        if (cond == DUL_ASSOCIATIONREJECTED) {
            T_ASC_RejectParameters rej;
            ASC_getRejectParameters(params, &rej);
            OFString why;
            cirr_dicom_fail(CIRR_DICOM_ERROR_REJECTED, "association rejected: %s",
                            ASC_printRejectParameters(why, &rej).c_str());
        }
        if (*assoc)
            ASC_destroyAssociation(assoc);
        else
            ASC_destroyAssociationParameters(&params);
        ASC_dropNetwork(net);
        return s;
    }
    cirr_dicom_nodelay(*assoc);
    cirr_dicom_guard_accepted(*assoc);
    return CIRR_DICOM_OK;
}

OFCondition cirr_dicom_handle_move(const cirr_dicom_scp &scp, T_ASC_Association *assoc,
                                   const cirr_dicom_peer *peer, T_ASC_PresentationContextID pres,
                                   T_DIMSE_C_MoveRQ *req, Tally *tally)
{
    const cirr_dicom_handlers &h = scp.h;
    Retrieve<T_DIMSE_C_MoveRQ> r = {assoc, pres, req, {}};
    DcmDataset *query = nullptr;
    OFCondition cond = receive_query(r, scp, &query, tally);
    if (cond.bad() || !query)
        return cond;
    char host[256];
    unsigned port = 0;
    if (!h.destination || h.destination(req->MoveDestination, host, sizeof host, &port, h.ud) != 0) {
        delete query;
        return respond(r, STATUS_MOVE_Failed_MoveDestinationUnknown, true);
    }
    cirr_dicom_instances inst = {};
    provider_status = 0;
    in_retrieve = true;
    uint16_t status = ask_handler(h, peer, req->AffectedSOPClassUID, query, &inst, &r.c);
    if (status != STATUS_Success) {
        in_retrieve = false;
        return respond(r, status, true);
    }
    T_ASC_Network *net = nullptr;
    T_ASC_Association *sub = nullptr;
    if (inst.count && cirr_dicom_request(host, port, req->MoveDestination, scp.aet.c_str(), 30, 0,
                                         classes_of(inst), nullptr, &net, &sub) != CIRR_DICOM_OK) {
        r.c.failed = r.c.remaining;
        r.c.remaining = 0;
        status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    } else {
        cond = send_all(r, &inst, sub, peer->calling_aet, scp.cfg.dimse_timeout, &tally->sent, &status);
    }
    if (sub) {
        ASC_releaseAssociation(sub);
        ASC_destroyAssociation(&sub);
    }
    if (net)
        ASC_dropNetwork(&net);
    if (inst.release)
        inst.release(inst.ctx);
    status = final_answer(status);
    return cond.bad() ? cond : respond(r, status, true);
}

OFCondition cirr_dicom_handle_get(const cirr_dicom_scp &scp, T_ASC_Association *assoc,
                                  const cirr_dicom_peer *peer, T_ASC_PresentationContextID pres,
                                  T_DIMSE_C_GetRQ *req, Tally *tally)
{
    Retrieve<T_DIMSE_C_GetRQ> r = {assoc, pres, req, {}};
    DcmDataset *query = nullptr;
    OFCondition cond = receive_query(r, scp, &query, tally);
    if (cond.bad() || !query)
        return cond;
    cirr_dicom_instances inst = {};
    provider_status = 0;
    in_retrieve = true;
    uint16_t status = ask_handler(scp.h, peer, req->AffectedSOPClassUID, query, &inst, &r.c);
    if (status != STATUS_Success) {
        in_retrieve = false;
        return respond(r, status, true);
    }
    cond = send_all(r, &inst, assoc, nullptr, scp.cfg.dimse_timeout, &tally->sent, &status);
    if (inst.release)
        inst.release(inst.ctx);
    status = final_answer(status);
    return cond.bad() ? cond : respond(r, status, true);
}

void cirr_dicom_retrieve_final_status(uint16_t status)
{
    if (in_retrieve && status >= 0xA000 && status <= 0xCFFF)
        provider_status = status;
}
