// scp.cc: the SCP: answers associations (accept.cc accepts them, one
// thread each) and dispatches C-ECHO, C-STORE, C-FIND, C-MOVE and C-GET to
// the C handlers.
#include "scp.h"

#include "cirr_dicom_relay.h"
#include "receive.h"
#include "retrieve.h"
#include "transport.h"

#include <memory>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct cirr_dicom_find_sink {
    T_ASC_Association *assoc;
    T_ASC_PresentationContextID pres;
    T_DIMSE_C_FindRQ *req;
    unsigned sent;
    bool cancelled;
    OFCondition failure; // the association cannot go on
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

// The C-STORE a store handler on this thread answers, for
// cirr_dicom_store_originator; NULL outside one.
thread_local const T_DIMSE_C_StoreRQ *store_request = nullptr;

// The answer to a C-STORE whose dataset arrived (or was refused unparsed).
uint16_t store_status(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                      T_ASC_PresentationContextID pres, std::unique_ptr<DcmDataset> &dataset, const char *refused,
                      Tally *tally)
{
    uint16_t status = STATUS_STORE_Refused_SOPClassNotSupported;
    if (refused) {
        tally->refused = refused;
        status = STATUS_STORE_Error_CannotUnderstand;
    } else if (scp->h.store) {
        T_ASC_PresentationContext pc;
        ASC_findAcceptedPresentationContext(assoc->params, pres, &pc);
        cirr_dicom_dataset wrapped = cirr_dicom_wrap(dataset.get());
        status = scp->h.store(peer, &wrapped, pc.acceptedTransferSyntax, scp->h.ud);
        if (wrapped.ds != dataset.get()) { // taken (cirr_dicom_dataset_take): the handler's now
            (void)dataset.release();
            delete wrapped.ds; // the empty one left behind
        }
    }
    if (status == STATUS_Success)
        tally->stores++;
    else
        tally->store_failures++;
    return status;
}

// dataset: the request's, or NULL when refused unparsed (refused says why).
OFCondition handle_store(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                         T_ASC_PresentationContextID pres, T_DIMSE_C_StoreRQ *req,
                         std::unique_ptr<DcmDataset> &dataset, const char *refused, Tally *tally)
{
    T_DIMSE_C_StoreRSP rsp = {};
    store_request = req;
    rsp.DimseStatus = store_status(scp, assoc, peer, pres, dataset, refused, tally);
    store_request = nullptr;
    cirr_dicom_gather_writes(assoc, true); // the response's two writes leave in one
    OFCondition sent = DIMSE_sendStoreResponse(assoc, pres, req, &rsp, nullptr);
    OFCondition flushed = cirr_dicom_gather_writes(assoc, false);
    return sent.bad() ? sent : flushed;
}

// ---- C-FIND ----------------------------------------------------------------

// query: the request's, or NULL when refused unparsed (refused says why).
OFCondition handle_find(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                        T_ASC_PresentationContextID pres, T_DIMSE_C_FindRQ *req, DcmDataset *query,
                        const char *refused, Tally *tally)
{
    cirr_dicom_find_sink sink = {assoc, pres, req, 0, false, EC_Normal};
    cirr_dicom_dataset q = cirr_dicom_wrap(query);
    cirr_dicom_gather_writes(assoc, true);
    uint16_t status = STATUS_FIND_Refused_SOPClassNotSupported;
    if (refused)
        tally->refused = refused, status = STATUS_FIND_Failed_UnableToProcess;
    else if (scp->h.find)
        status = scp->h.find(peer, req->AffectedSOPClassUID, &q, &sink, scp->h.ud);
    tally->finds++;
    tally->matches += sink.sent;
    if (sink.failure.bad()) {
        cirr_dicom_gather_writes(assoc, false);
        return sink.failure;
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
    OFCondition flushed = cirr_dicom_gather_writes(assoc, false); // sends the final response now
    return sent.bad() ? sent : flushed;
}

} // namespace

extern "C" int cirr_dicom_store_originator(char aet[17], uint16_t *message_id)
{
    const T_DIMSE_C_StoreRQ *req = store_request;
    if (!req || !(req->opts & O_STORE_MOVEORIGINATORAETITLE) || !(req->opts & O_STORE_MOVEORIGINATORID))
        return 0;
    OFString title(req->MoveOriginatorApplicationEntityTitle);
    size_t end = title.find_last_not_of(' ');
    title = end == OFString_npos ? OFString() : title.substr(0, end + 1);
    OFStandard::strlcpy(aet, title.c_str(), 17);
    *message_id = req->MoveOriginatorID;
    return 1;
}

extern "C" cirr_dicom_status cirr_dicom_find_send(cirr_dicom_find_sink *sink, const cirr_dicom_dataset *match)
{
    return cirr_dicom_guard([&] {
        if (sink->cancelled || sink->failure.bad())
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
            sink->failure = cond;
            return cirr_dicom_from_condition(cond, "C-FIND response");
        }
        sink->sent++;
        // A C-CANCEL is looked for every 16 matches: each look is a system call.
        if (sink->sent % 16)
            return CIRR_DICOM_OK;
        cond = DIMSE_checkForCancelRQ(sink->assoc, sink->pres, sink->req->MessageID);
        if (cond != DIMSE_NODATAAVAILABLE) {
            // Anything but a C-CANCEL breaks the protocol: the association
            // ends, or what followed would be read as a command, unchecked
            // (see pdu_watch.h).
            sink->cancelled = cond.good();
            if (cond.bad())
                sink->failure = cond;
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "the peer cancelled the query");
        }
        return CIRR_DICOM_OK;
    });
}

namespace {

// C-STORE and C-FIND: their dataset first, checked before it is parsed
// (receive.h), then the service.
OFCondition with_dataset(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                         T_ASC_PresentationContextID pres, T_DIMSE_Message *msg, Tally *tally)
{
    DcmDataset *dataset = nullptr;
    const char *refused = nullptr;
    OFCondition cond = cirr_dicom_receive_dataset(assoc, scp->cfg.dimse_timeout, scp->limits.max_depth, pres,
                                                  &dataset, &refused);
    std::unique_ptr<DcmDataset> owned(dataset);
    if (cond.bad())
        return cond;
    if (msg->CommandField == DIMSE_C_STORE_RQ)
        return handle_store(scp, assoc, peer, pres, &msg->msg.CStoreRQ, owned, refused, tally);
    return handle_find(scp, assoc, peer, pres, &msg->msg.CFindRQ, dataset, refused, tally);
}

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
    case DIMSE_C_FIND_RQ:
        return with_dataset(scp, assoc, peer, pres, msg, tally);
    case DIMSE_C_MOVE_RQ:
        return cirr_dicom_handle_move(*scp, assoc, peer, pres, &msg->msg.CMoveRQ, tally);
    case DIMSE_C_GET_RQ:
        return cirr_dicom_handle_get(*scp, assoc, peer, pres, &msg->msg.CGetRQ, tally);
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
            const char *cut_off = cirr_dicom_transport_failure(); // says more than DCMTK's condition
            tally.end = std::string("ended: ") + (cut_off ? cut_off : cond.text());
            ASC_abortAssociation(assoc);
            break;
        }
    }
    if (scp->h.association_done) {
        char summary[640];
        snprintf(summary, sizeof summary,
                 "%u echo, %u stored, %u store failures, %u find (%u matches), %u retrieve (%u sent)%s%s; %s",
                 tally.echoes, tally.stores, tally.store_failures, tally.finds, tally.matches,
                 tally.retrieves, tally.sent, tally.refused ? ", refused unparsed: " : "",
                 tally.refused ? tally.refused : "", tally.end.c_str());
        scp->h.association_done(&peer, summary, scp->h.ud);
    }
}

// Accept or reject the association, then serve it until it ends.
void answer(cirr_dicom_scp *scp, T_ASC_Association *assoc, const cirr_dicom_peer &peer)
{
    if (!allowed_caller(scp, peer.calling_aet)) {
        cirr_dicom_reject(assoc, ASC_RESULT_REJECTEDPERMANENT, ASC_SOURCE_SERVICEUSER,
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

} // namespace

void cirr_dicom_reject(T_ASC_Association *assoc, T_ASC_RejectParametersResult result,
                       T_ASC_RejectParametersSource source, T_ASC_RejectParametersReason reason)
{
    T_ASC_RejectParameters rej = {result, source, reason};
    ASC_rejectAssociation(assoc, &rej);
}

void cirr_dicom_association(cirr_dicom_scp *scp, T_ASC_Association *assoc)
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
}

namespace {

unsigned or_default(unsigned value, unsigned fallback) { return value ? value : fallback; }

// Zeros in limits become the defaults (cirr_dicom.h).
cirr_dicom_scp_limits with_defaults(cirr_dicom_scp_limits limits)
{
    limits.request_timeout = or_default(limits.request_timeout, 10);
    limits.message_timeout = or_default(limits.message_timeout, cirr_dicom_default_message_s);
    limits.message_min_rate = or_default(limits.message_min_rate, cirr_dicom_default_min_rate);
    limits.max_depth = or_default(limits.max_depth, cirr_dicom_default_max_depth);
    limits.max_pending = or_default(limits.max_pending, 64);
    return limits;
}

// Give the network's connections the SCP's limits (transport.h).
cirr_dicom_status install_limits(cirr_dicom_scp *scp)
{
    const cirr_dicom_scp_limits &l = scp->limits;
    auto *layer = new (std::nothrow) GuardedLayer(
        {l.request_timeout * 1000, l.message_timeout * 1000, l.message_min_rate, l.max_depth});
    if (!layer)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    return cirr_dicom_from_condition(ASC_setTransportLayer(scp->net, layer, 1), "transport layer");
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
    scp->cfg.max_associations = or_default(cfg->max_associations, 16);
    scp->cfg.acse_timeout = or_default(cfg->acse_timeout, 30);
    scp->cfg.max_pdu = or_default(cfg->max_pdu, ASC_DEFAULTMAXPDU);
    scp->limits = with_defaults({});
    OFCondition cond = ASC_initializeNetwork(NET_ACCEPTOR, (int)cfg->port, (int)scp->cfg.acse_timeout, &scp->net);
    if (cond.bad())
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "cannot listen on port %u: %s", cfg->port, cond.text());
    cirr_dicom_status s = install_limits(scp.get());
    if (s != CIRR_DICOM_OK) {
        ASC_dropNetwork(&scp->net);
        return s;
    }
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

extern "C" cirr_dicom_status cirr_dicom_scp_set_limits(cirr_dicom_scp *scp, const cirr_dicom_scp_limits *limits)
{
    return cirr_dicom_guard([&] {
        scp->limits = with_defaults(*limits);
        return install_limits(scp);
    });
}

extern "C" cirr_dicom_status cirr_dicom_scp_run(cirr_dicom_scp *scp)
{
    return cirr_dicom_guard([&] {
        cirr_dicom_accept_loop(scp);
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
