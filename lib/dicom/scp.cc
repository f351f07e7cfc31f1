// scp.cc: the SCP: accepts associations, one thread each, and dispatches
// C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET to the C handlers.
#include "internal.h"
#include "retrieve.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

struct cirr_dicom_scp {
    cirr_dicom_scp_config cfg;
    cirr_dicom_handlers h;
    std::string aet;
    std::vector<std::string> allowed;
    std::vector<std::string> ts;
    std::vector<const char *> ts_ptrs;
    T_ASC_Network *net = nullptr;
    std::atomic<bool> stop{false};
    std::atomic<unsigned> active{0};
    std::atomic<unsigned long> next_id{1};
};

struct cirr_dicom_find_sink {
    T_ASC_Association *assoc;
    T_ASC_PresentationContextID pres;
    T_DIMSE_C_FindRQ *req;
    unsigned sent;
    bool cancelled;
    bool failed;
};

// What one association did, for its log line.
struct Tally {
    unsigned echoes = 0, stores = 0, store_failures = 0, finds = 0, matches = 0, retrieves = 0,
             sent = 0;
    std::string end = "released";
};

namespace {

const char *query_classes[] = {
    UID_FINDPatientRootQueryRetrieveInformationModel, UID_FINDStudyRootQueryRetrieveInformationModel,
    UID_MOVEPatientRootQueryRetrieveInformationModel, UID_MOVEStudyRootQueryRetrieveInformationModel,
    UID_GETPatientRootQueryRetrieveInformationModel,  UID_GETStudyRootQueryRetrieveInformationModel,
};
const char *uncompressed[] = {UID_LittleEndianExplicitTransferSyntax,
                                    UID_LittleEndianImplicitTransferSyntax,
                                    UID_BigEndianExplicitTransferSyntax};

bool allowed_caller(const cirr_dicom_scp *scp, const char *calling)
{
    if (scp->allowed.empty())
        return true;
    for (const auto &a : scp->allowed)
        if (a == calling)
            return true;
    return false;
}

void reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
            T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason)
{
    T_ASC_RejectParameters rej = {result, source, reason};
    ASC_rejectAssociation(assoc, &rej);
}

// Accept a proposed storage context with the peer's first transfer syntax
// that we accept: a sender proposes its files' own syntax first, and
// taking it spares a conversion. For C-GET the peer proposes the SCP role
// for itself, and we accept that role.
void accept_storage(cirr_dicom_scp *scp, T_ASC_Association *assoc, const T_ASC_PresentationContext &pc)
{
    for (int k = 0; k < (int)pc.transferSyntaxCount; k++) {
        const char *ts = pc.proposedTransferSyntaxes[k];
        bool ours = false;
        for (const char *t : scp->ts_ptrs)
            ours = ours || strcmp(t, ts) == 0;
        if (!ours)
            continue;
        T_ASC_SC_ROLE role = pc.proposedRole == ASC_SC_ROLE_SCP || pc.proposedRole == ASC_SC_ROLE_SCUSCP
                                 ? pc.proposedRole : ASC_SC_ROLE_DEFAULT;
        ASC_acceptPresentationContext(assoc->params, pc.presentationContextID, ts, role);
        return;
    }
}

OFCondition negotiate(cirr_dicom_scp *scp, T_ASC_Association *assoc)
{
    const char *echo[] = {UID_VerificationSOPClass};
    OFCondition cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
        assoc->params, echo, 1, uncompressed, 3);
    if (cond.good() && (scp->h.find || scp->h.retrieve))
        cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
            assoc->params, query_classes, (int)(sizeof query_classes / sizeof *query_classes),
            uncompressed, 3);
    if (cond.bad())
        return cond;
    // Storage: for C-STORE (we are SCP) and for C-GET (the peer is).
    std::vector<const char *> classes;
    if (scp->cfg.sop_classes)
        for (const char *const *c = scp->cfg.sop_classes; *c; c++)
            classes.push_back(*c);
    else
        for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; i++)
            classes.push_back(dcmAllStorageSOPClassUIDs[i]);
    for (int i = 0; i < ASC_countPresentationContexts(assoc->params); i++) {
        T_ASC_PresentationContext pc;
        ASC_getPresentationContext(assoc->params, i, &pc);
        bool known = false;
        for (const char *c : classes)
            known = known || strcmp(c, pc.abstractSyntax) == 0;
        if (known && pc.resultReason != ASC_P_ACCEPTANCE)
            accept_storage(scp, assoc, pc);
    }
    return EC_Normal;
}

// ---- C-STORE -------------------------------------------------------------

struct StoreCtx {
    cirr_dicom_scp *scp;
    const cirr_dicom_peer *peer;
    const char *ts;
    Tally *tally;
};

void store_progress(void *data, T_DIMSE_StoreProgress *progress, T_DIMSE_C_StoreRQ *req,
                    char *, DcmDataset **dataset, T_DIMSE_C_StoreRSP *rsp, DcmDataset **)
{
    if (progress->state != DIMSE_StoreEnd)
        return;
    auto *ctx = static_cast<StoreCtx *>(data);
    if (rsp->DimseStatus != STATUS_Success || !dataset || !*dataset) {
        ctx->tally->store_failures++;
        return; // DCMTK already set a failure status (e.g. a broken stream)
    }
    (void)req;
    cirr_dicom_dataset wrapped = cirr_dicom_wrap(*dataset);
    rsp->DimseStatus = ctx->scp->h.store(ctx->peer, &wrapped, ctx->ts, ctx->scp->h.ud);
    if (rsp->DimseStatus == STATUS_Success)
        ctx->tally->stores++;
    else
        ctx->tally->store_failures++;
}

OFCondition handle_store(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                         T_ASC_PresentationContextID pres, T_DIMSE_C_StoreRQ *req, Tally *tally)
{
    T_ASC_PresentationContext pc;
    ASC_findAcceptedPresentationContext(assoc->params, pres, &pc);
    StoreCtx ctx = {scp, peer, pc.acceptedTransferSyntax, tally};
    DcmDataset *dataset = nullptr;
    if (!scp->h.store) {
        tally->store_failures++;
        T_DIMSE_C_StoreRSP rsp = {};
        DIMSE_storeProvider(assoc, pres, req, nullptr, OFFalse, &dataset, nullptr, nullptr,
                            DIMSE_BLOCKING, 0);
        delete dataset;
        (void)rsp;
        return EC_Normal;
    }
    OFCondition cond = DIMSE_storeProvider(assoc, pres, req, nullptr, OFFalse, &dataset,
                                           store_progress, &ctx,
                                           scp->cfg.dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING,
                                           (int)scp->cfg.dimse_timeout);
    delete dataset;
    return cond;
}

// ---- C-FIND ----------------------------------------------------------------

OFCondition handle_find(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                        T_ASC_PresentationContextID pres, T_DIMSE_C_FindRQ *req, Tally *tally)
{
    DcmDataset *query = nullptr;
    T_ASC_PresentationContextID data_pres;
    OFCondition cond = DIMSE_receiveDataSetInMemory(
        assoc, scp->cfg.dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING,
        (int)scp->cfg.dimse_timeout, &data_pres, &query, nullptr, nullptr);
    if (cond.bad())
        return cond;
    cirr_dicom_find_sink sink = {assoc, pres, req, 0, false, false};
    cirr_dicom_dataset q = cirr_dicom_wrap(query);
    cirr_dicom_cork(assoc, true);
    uint16_t status = scp->h.find ? scp->h.find(peer, req->AffectedSOPClassUID, &q, &sink, scp->h.ud)
                                  : STATUS_FIND_Refused_SOPClassNotSupported;
    delete query;
    tally->finds++;
    tally->matches += sink.sent;
    if (sink.failed) {
        cirr_dicom_cork(assoc, false);
        return DIMSE_SENDFAILED;
    }
    if (sink.cancelled)
        status = STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest;
    T_DIMSE_C_FindRSP rsp = {};
    rsp.MessageIDBeingRespondedTo = req->MessageID;
    OFStandard::strlcpy(rsp.AffectedSOPClassUID, req->AffectedSOPClassUID, sizeof rsp.AffectedSOPClassUID);
    rsp.opts = O_FIND_AFFECTEDSOPCLASSUID;
    rsp.DimseStatus = status;
    rsp.DataSetType = DIMSE_DATASET_NULL;
    OFCondition sent = DIMSE_sendFindResponse(assoc, pres, req, &rsp, nullptr, nullptr);
    cirr_dicom_cork(assoc, false); // flushes the final response now
    return sent;
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_find_send(cirr_dicom_find_sink *sink, const cirr_dicom_dataset *match)
{
    return cirr_dicom_guard([&] {
        if (sink->cancelled || sink->failed)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "the peer cancelled the query");
        T_DIMSE_C_FindRSP rsp = {};
        rsp.MessageIDBeingRespondedTo = sink->req->MessageID;
        OFStandard::strlcpy(rsp.AffectedSOPClassUID, sink->req->AffectedSOPClassUID,
                            sizeof rsp.AffectedSOPClassUID);
        rsp.opts = O_FIND_AFFECTEDSOPCLASSUID;
        rsp.DimseStatus = STATUS_Pending;
        rsp.DataSetType = DIMSE_DATASET_PRESENT;
        OFCondition cond = DIMSE_sendFindResponse(sink->assoc, sink->pres, sink->req, &rsp, match->ds,
                                                  nullptr);
        if (cond.bad()) {
            sink->failed = true;
            return cirr_dicom_from_condition(cond, "C-FIND response");
        }
        sink->sent++;
        // A C-CANCEL is looked for every 16 matches: each look is a system call.
        if (sink->sent % 16 == 0 &&
            DIMSE_checkForCancelRQ(sink->assoc, sink->pres, sink->req->MessageID).good()) {
            sink->cancelled = true;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "the peer cancelled the query");
        }
        return CIRR_DICOM_OK;
    });
}

namespace {

OFCondition dispatch(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                     T_ASC_PresentationContextID pres, T_DIMSE_Message *msg, Tally *tally)
{
    switch (msg->CommandField) {
    case DIMSE_C_ECHO_RQ: {
        tally->echoes++;
        uint16_t status = scp->h.echo ? scp->h.echo(peer, scp->h.ud) : STATUS_Success;
        return DIMSE_sendEchoResponse(assoc, pres, &msg->msg.CEchoRQ, status, nullptr);
    }
    case DIMSE_C_STORE_RQ:
        return handle_store(scp, assoc, peer, pres, &msg->msg.CStoreRQ, tally);
    case DIMSE_C_FIND_RQ:
        return handle_find(scp, assoc, peer, pres, &msg->msg.CFindRQ, tally);
    case DIMSE_C_MOVE_RQ:
        return cirr_dicom_handle_move(scp->h, scp->aet.c_str(), scp->cfg.dimse_timeout, assoc,
                                      peer, pres, &msg->msg.CMoveRQ, &tally->retrieves, &tally->sent);
    case DIMSE_C_GET_RQ:
        return cirr_dicom_handle_get(scp->h, scp->cfg.dimse_timeout, assoc, peer, pres,
                                     &msg->msg.CGetRQ, &tally->retrieves, &tally->sent);
    case DIMSE_C_CANCEL_RQ:
        return EC_Normal; // nothing in progress: ignore
    default:
        return DIMSE_BADCOMMANDTYPE;
    }
}

void serve(cirr_dicom_scp *scp, T_ASC_Association *assoc, cirr_dicom_peer peer)
{
    Tally tally;
    for (;;) {
        T_ASC_PresentationContextID pres;
        T_DIMSE_Message msg;
        OFCondition cond = DIMSE_receiveCommand(assoc, scp->cfg.dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING,
                                                (int)scp->cfg.dimse_timeout, &pres, &msg, nullptr);
        if (cond == DUL_PEERREQUESTEDRELEASE) {
            ASC_acknowledgeRelease(assoc);
            break;
        }
        if (cond == DUL_PEERABORTEDASSOCIATION) {
            tally.end = "aborted by the peer";
            break;
        }
        if (cond.good())
            cond = dispatch(scp, assoc, &peer, pres, &msg, &tally);
        if (cond.bad()) {
            tally.end = std::string("ended: ") + cond.text();
            ASC_abortAssociation(assoc);
            break;
        }
    }
    if (scp->h.association_done) {
        char summary[512];
        snprintf(summary, sizeof summary,
                 "%u echo, %u stored, %u store failures, %u find (%u matches), %u retrieve (%u sent); %s",
                 tally.echoes, tally.stores, tally.store_failures, tally.finds, tally.matches,
                 tally.retrieves, tally.sent, tally.end.c_str());
        scp->h.association_done(&peer, summary, scp->h.ud);
    }
}

// Accept or reject the association, then serve it until it ends.
void answer(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer &peer)
{
    if (!allowed_caller(scp, peer.calling_aet)) {
        reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
               ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED);
        if (scp->h.association_done)
            scp->h.association_done(&peer, "rejected: calling AE title not allowed", scp->h.ud);
    } else if (negotiate(scp, assoc).bad() || ASC_acknowledgeAssociation(assoc).bad()) {
        const char *why = peer.calling_aet[0] ? "negotiation failed"
                                              : "no valid association request (a port probe?)";
        if (scp->h.association_done)
            scp->h.association_done(&peer, why, scp->h.ud);
    } else {
        cirr_dicom_nodelay(assoc);
        serve(scp, assoc, peer);
    }
}

void association_thread(cirr_dicom_scp *scp, T_ASC_Association *assoc)
{
    char calling[64] = "", called[64] = "";
    ASC_getAPTitles(assoc->params, calling, sizeof calling, called, sizeof called, nullptr, 0);
    const char *host = assoc->params->DULparams.callingPresentationAddress;
    cirr_dicom_peer peer = {calling, called, host, scp->next_id++};
    // An exception (out of memory, a DCMTK throw) ends this association
    // only: it must not leave the thread, which would stop the process.
    if (cirr_dicom_guard([&] { answer(scp, assoc, peer); return CIRR_DICOM_OK; }) != CIRR_DICOM_OK) {
        ASC_abortAssociation(assoc);
        if (scp->h.association_done) {
            char summary[600];
            snprintf(summary, sizeof summary, "ended: %s", cirr_dicom_last_error());
            scp->h.association_done(&peer, summary, scp->h.ud);
        }
    }
    ASC_dropSCPAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    scp->active--;
}

// A handle for cfg, listening (cfg checked by the caller).
cirr_dicom_status scp_new(const cirr_dicom_scp_config *cfg, const cirr_dicom_handlers *handlers,
                          cirr_dicom_scp **out)
{
    std::unique_ptr<cirr_dicom_scp> scp(new (std::nothrow) cirr_dicom_scp);
    if (!scp)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    scp->cfg = *cfg;
    scp->h = *handlers;
    scp->aet = cfg->aet;
    for (const char *const *a = cfg->allowed; a && *a; a++)
        scp->allowed.push_back(*a);
    for (const char *const *t = cfg->transfer_syntaxes ? cfg->transfer_syntaxes : cirr_dicom_default_ts; *t; t++)
        scp->ts.push_back(*t);
    for (const auto &t : scp->ts)
        scp->ts_ptrs.push_back(t.c_str());
    if (!scp->cfg.max_associations)
        scp->cfg.max_associations = 16;
    if (!scp->cfg.acse_timeout)
        scp->cfg.acse_timeout = 30;
    if (!scp->cfg.max_pdu)
        scp->cfg.max_pdu = ASC_DEFAULTMAXPDU;
    OFCondition cond = ASC_initializeNetwork(NET_ACCEPTOR, (int)cfg->port, (int)scp->cfg.acse_timeout, &scp->net);
    if (cond.bad())
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "cannot listen on port %u: %s", cfg->port, cond.text());
    *out = scp.release();
    return CIRR_DICOM_OK;
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_scp_new(const cirr_dicom_scp_config *cfg,
                                                const cirr_dicom_handlers *handlers,
                                                cirr_dicom_scp **out)
{
    if (!cfg->aet || !*cfg->aet || strlen(cfg->aet) > 16 || !cfg->port || cfg->port > 65535)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "invalid AE title or port");
    return cirr_dicom_guard([&] { return scp_new(cfg, handlers, out); });
}

extern "C" cirr_dicom_status cirr_dicom_scp_run(cirr_dicom_scp *scp)
{
    return cirr_dicom_guard([&] {
        while (!scp->stop) {
            T_ASC_Association *assoc = nullptr;
            OFCondition cond = ASC_receiveAssociation(scp->net, &assoc, (long)scp->cfg.max_pdu, nullptr,
                                                      nullptr, OFFalse, DUL_NOBLOCK, 1);
            if (cond.bad()) {
                if (assoc) {
                    ASC_dropSCPAssociation(assoc);
                    ASC_destroyAssociation(&assoc);
                }
                continue; // a timeout (nothing arrived) or a peer that gave up early
            }
            if (scp->active >= scp->cfg.max_associations) {
                reject(assoc, ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                       ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED);
                ASC_dropSCPAssociation(assoc);
                ASC_destroyAssociation(&assoc);
                continue;
            }
            scp->active++;
            try {
                std::thread(association_thread, scp, assoc).detach();
            } catch (...) {
                scp->active--;
                ASC_abortAssociation(assoc);
                ASC_destroyAssociation(&assoc);
            }
        }
        // Let running associations finish (bounded: a stuck peer must not hold
        // shutdown forever; their threads are detached).
        for (int i = 0; i < 300 && scp->active > 0; i++)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return CIRR_DICOM_OK;
    });
}

// No cirr_dicom_guard: an atomic store does not throw.
extern "C" void cirr_dicom_scp_stop(cirr_dicom_scp *scp) { scp->stop = true; }

extern "C" void cirr_dicom_scp_free(cirr_dicom_scp *scp)
{
    if (!scp)
        return;
    cirr_dicom_guard([&] {
        if (scp->net)
            ASC_dropNetwork(&scp->net);
        delete scp;
        return CIRR_DICOM_OK;
    });
}
