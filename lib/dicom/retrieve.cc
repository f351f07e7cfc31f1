// retrieve.cc: C-MOVE and C-GET: the handler says which instances; this
// file sends them as C-STORE sub-operations and reports progress.
#include "retrieve.h"

#include <cstdio>
#include <cstring>
#include <set>

namespace {

struct Counts {
    unsigned remaining = 0, completed = 0, failed = 0, warning = 0;
    std::string failed_uids;
};

// Send instance i over sub (main association for C-GET); updates counts.
void send_one(cirr_dicom_instances *inst, size_t i, T_ASC_Association *sub, const char *origin_aet,
              DIC_US origin_id, bool move, Counts *c)
{
    cirr_dicom_dataset *ds = nullptr;
    c->remaining--;
    if (inst->fetch(inst->ctx, i, &ds) != CIRR_DICOM_OK || !ds) {
        c->failed++;
        return;
    }
    OFString sop_class, sop_instance;
    ds->ds->findAndGetOFString(DCM_SOPClassUID, sop_class);
    ds->ds->findAndGetOFString(DCM_SOPInstanceUID, sop_instance);
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(sub, sop_class.c_str());
    T_ASC_PresentationContext pc;
    bool ok = pid != 0 && ASC_findAcceptedPresentationContext(sub->params, pid, &pc).good() &&
              cirr_dicom_prepare_ts(ds->ds, DcmXfer(pc.acceptedTransferSyntax).getXfer()) == CIRR_DICOM_OK;
    T_DIMSE_C_StoreRSP rsp = {};
    if (ok) {
        T_DIMSE_C_StoreRQ req = {};
        req.MessageID = sub->nextMsgID++;
        OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class.c_str(), sizeof req.AffectedSOPClassUID);
        OFStandard::strlcpy(req.AffectedSOPInstanceUID, sop_instance.c_str(), sizeof req.AffectedSOPInstanceUID);
        req.DataSetType = DIMSE_DATASET_PRESENT;
        req.Priority = DIMSE_PRIORITY_MEDIUM;
        if (move) {
            req.opts = O_STORE_MOVEORIGINATORAETITLE | O_STORE_MOVEORIGINATORID;
            OFStandard::strlcpy(req.MoveOriginatorApplicationEntityTitle, origin_aet,
                                sizeof req.MoveOriginatorApplicationEntityTitle);
            req.MoveOriginatorID = origin_id;
        }
        DcmDataset *detail = nullptr;
        ok = DIMSE_storeUser(sub, pid, &req, nullptr, ds->ds, nullptr, nullptr, DIMSE_BLOCKING, 0,
                             &rsp, &detail).good();
        delete detail;
    }
    if (ok && rsp.DimseStatus == STATUS_Success) {
        c->completed++;
    } else if (ok && (rsp.DimseStatus & 0xf000) == 0xb000) {
        c->warning++;
    } else {
        c->failed++;
        if (!c->failed_uids.empty())
            c->failed_uids += "\\";
        c->failed_uids += sop_instance.c_str();
    }
    cirr_dicom_dataset_free(ds);
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

// C-MOVE and C-GET responses have the same fields; opts flags differ by name.
template <typename Rq, typename Rsp>
DcmDataset *fill_response(Rsp &rsp, const Rq *req, uint16_t status, const Counts &c, bool final,
                          unsigned short opts, unsigned short remaining_opt)
{
    rsp.MessageIDBeingRespondedTo = req->MessageID;
    OFStandard::strlcpy(rsp.AffectedSOPClassUID, req->AffectedSOPClassUID, sizeof rsp.AffectedSOPClassUID);
    rsp.DimseStatus = status;
    rsp.DataSetType = DIMSE_DATASET_NULL;
    rsp.opts = opts | (final ? 0 : remaining_opt);
    rsp.NumberOfRemainingSubOperations = (DIC_US)c.remaining;
    rsp.NumberOfCompletedSubOperations = (DIC_US)c.completed;
    rsp.NumberOfFailedSubOperations = (DIC_US)c.failed;
    rsp.NumberOfWarningSubOperations = (DIC_US)c.warning;
    DcmDataset *ids = final ? failed_list(c) : nullptr;
    if (ids)
        rsp.DataSetType = DIMSE_DATASET_PRESENT;
    return ids;
}

OFCondition move_response(T_ASC_Association *assoc, T_ASC_PresentationContextID pres,
                          T_DIMSE_C_MoveRQ *req, uint16_t status, const Counts &c, bool final)
{
    T_DIMSE_C_MoveRSP rsp = {};
    DcmDataset *ids = fill_response(rsp, req, status, c, final,
                                    O_MOVE_AFFECTEDSOPCLASSUID | O_MOVE_NUMBEROFCOMPLETEDSUBOPERATIONS |
                                        O_MOVE_NUMBEROFFAILEDSUBOPERATIONS | O_MOVE_NUMBEROFWARNINGSUBOPERATIONS,
                                    O_MOVE_NUMBEROFREMAININGSUBOPERATIONS);
    OFCondition cond = DIMSE_sendMoveResponse(assoc, pres, req, &rsp, ids, nullptr);
    delete ids;
    return cond;
}

OFCondition get_response(T_ASC_Association *assoc, T_ASC_PresentationContextID pres,
                         T_DIMSE_C_GetRQ *req, uint16_t status, const Counts &c, bool final)
{
    T_DIMSE_C_GetRSP rsp = {};
    DcmDataset *ids = fill_response(rsp, req, status, c, final,
                                    O_GET_AFFECTEDSOPCLASSUID | O_GET_NUMBEROFCOMPLETEDSUBOPERATIONS |
                                        O_GET_NUMBEROFFAILEDSUBOPERATIONS | O_GET_NUMBEROFWARNINGSUBOPERATIONS,
                                    O_GET_NUMBEROFREMAININGSUBOPERATIONS);
    OFCondition cond = DIMSE_sendGetResponse(assoc, pres, req, &rsp, ids, nullptr);
    delete ids;
    return cond;
}

OFCondition receive_query(T_ASC_Association *assoc, unsigned timeout, DcmDataset **query)
{
    T_ASC_PresentationContextID data_pres;
    return DIMSE_receiveDataSetInMemory(assoc, timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING,
                                        (int)timeout, &data_pres, query, nullptr, nullptr);
}

std::vector<std::string> classes_of(const cirr_dicom_instances &inst)
{
    std::set<std::string> set;
    for (size_t i = 0; i < inst.count && set.size() < 120; i++)
        if (const char *c = inst.sop_class(inst.ctx, i))
            set.insert(c);
    return std::vector<std::string>(set.begin(), set.end());
}

} // namespace

cirr_dicom_status cirr_dicom_request(const char *host, unsigned port, const char *called,
                                     const char *calling, unsigned acse_timeout, unsigned max_pdu,
                                     const std::vector<std::string> &sop_classes,
                                     const char *const *ts, T_ASC_Network **net,
                                     T_ASC_Association **assoc,
                                     const std::vector<std::string> &scp_role_classes)
{
    static const char *const defaults[] = {UID_LittleEndianExplicitTransferSyntax,
                                           UID_LittleEndianImplicitTransferSyntax, nullptr};
    if (!ts)
        ts = defaults;
    int nts = 0;
    while (ts[nts])
        nts++;
    OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, (int)(acse_timeout ? acse_timeout : 30), net);
    if (cond.bad())
        return cirr_dicom_from_condition(cond, "network");
    T_ASC_Parameters *params = nullptr;
    ASC_createAssociationParameters(&params, (long)(max_pdu ? max_pdu : ASC_DEFAULTMAXPDU));
    ASC_setAPTitles(params, calling, called, nullptr);
    char peer[300];
    snprintf(peer, sizeof peer, "%s:%u", host, port);
    ASC_setPresentationAddresses(params, "localhost", peer);
    const char *echo_ts[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
    ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, echo_ts, 2);
    T_ASC_PresentationContextID id = 3;
    for (const auto &c : sop_classes) {
        if (id > 253)
            break; // 127 contexts at most
        ASC_addPresentationContext(params, id, c.c_str(), const_cast<const char **>(ts), nts);
        id += 2;
    }
    for (const auto &c : scp_role_classes) { // C-GET: the peer stores to us
        if (id > 253)
            break;
        ASC_addPresentationContext(params, id, c.c_str(), const_cast<const char **>(ts), nts, ASC_SC_ROLE_SCP);
        id += 2;
    }
    cond = ASC_requestAssociation(*net, params, assoc);
    if (cond.bad()) {
        cirr_dicom_status s = cirr_dicom_from_condition(cond, "association");
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
    return CIRR_DICOM_OK;
}

OFCondition cirr_dicom_handle_move(const cirr_dicom_handlers &h, const char *our_aet,
                                   unsigned dimse_timeout, T_ASC_Association *assoc,
                                   const cirr_dicom_peer *peer, T_ASC_PresentationContextID pres,
                                   T_DIMSE_C_MoveRQ *req, unsigned *retrieves, unsigned *sent)
{
    DcmDataset *query = nullptr;
    OFCondition cond = receive_query(assoc, dimse_timeout, &query);
    if (cond.bad())
        return cond;
    (*retrieves)++;
    Counts c;
    char host[256];
    unsigned port = 0;
    if (!h.destination || h.destination(req->MoveDestination, host, sizeof host, &port, h.ud) != 0) {
        delete query;
        return move_response(assoc, pres, req, STATUS_MOVE_Failed_MoveDestinationUnknown, c, true);
    }
    cirr_dicom_instances inst = {};
    cirr_dicom_dataset q = cirr_dicom_wrap(query);
    uint16_t status = h.retrieve ? h.retrieve(peer, req->AffectedSOPClassUID, &q, &inst, h.ud)
                                 : STATUS_MOVE_Failed_SOPClassNotSupported;
    delete query;
    if (status != STATUS_Success)
        return move_response(assoc, pres, req, status, c, true);
    c.remaining = (unsigned)inst.count;
    T_ASC_Network *net = nullptr;
    T_ASC_Association *sub = nullptr;
    bool cancelled = false;
    if (inst.count && cirr_dicom_request(host, port, req->MoveDestination, our_aet, 30, 0,
                                         classes_of(inst), nullptr, &net, &sub) != CIRR_DICOM_OK) {
        c.failed = c.remaining;
        c.remaining = 0;
        status = STATUS_MOVE_Refused_OutOfResourcesSubOperations;
    } else {
        for (size_t i = 0; i < inst.count && cond.good(); i++) {
            if (DIMSE_checkForCancelRQ(assoc, pres, req->MessageID).good()) {
                cancelled = true;
                break;
            }
            send_one(&inst, i, sub, peer->calling_aet, req->MessageID, true, &c);
            (*sent)++;
            cond = move_response(assoc, pres, req, STATUS_Pending, c, false);
        }
        status = final_status(c, cancelled);
    }
    if (sub) {
        ASC_releaseAssociation(sub);
        ASC_destroyAssociation(&sub);
    }
    if (net)
        ASC_dropNetwork(&net);
    if (inst.release)
        inst.release(inst.ctx);
    if (cond.bad())
        return cond;
    return move_response(assoc, pres, req, status, c, true);
}

OFCondition cirr_dicom_handle_get(const cirr_dicom_handlers &h, unsigned dimse_timeout,
                                  T_ASC_Association *assoc, const cirr_dicom_peer *peer,
                                  T_ASC_PresentationContextID pres, T_DIMSE_C_GetRQ *req,
                                  unsigned *retrieves, unsigned *sent)
{
    DcmDataset *query = nullptr;
    OFCondition cond = receive_query(assoc, dimse_timeout, &query);
    if (cond.bad())
        return cond;
    (*retrieves)++;
    Counts c;
    cirr_dicom_instances inst = {};
    cirr_dicom_dataset q = cirr_dicom_wrap(query);
    uint16_t status = h.retrieve ? h.retrieve(peer, req->AffectedSOPClassUID, &q, &inst, h.ud)
                                 : STATUS_GET_Failed_SOPClassNotSupported;
    delete query;
    if (status != STATUS_Success)
        return get_response(assoc, pres, req, status, c, true);
    c.remaining = (unsigned)inst.count;
    bool cancelled = false;
    for (size_t i = 0; i < inst.count && cond.good(); i++) {
        if (DIMSE_checkForCancelRQ(assoc, pres, req->MessageID).good()) {
            cancelled = true;
            break;
        }
        send_one(&inst, i, assoc, nullptr, 0, false, &c);
        (*sent)++;
        cond = get_response(assoc, pres, req, STATUS_Pending, c, false);
    }
    if (inst.release)
        inst.release(inst.ctx);
    if (cond.bad())
        return cond;
    return get_response(assoc, pres, req, final_status(c, cancelled), c, true);
}
