// scu.cc: the SCU side: associations to a peer, and echo, store, find and
// move over them.
#include "retrieve.h"

#include <cstring>
#include <new>

struct cirr_dicom_scu {
    T_ASC_Network *net;
    T_ASC_Association *assoc;
    unsigned dimse_timeout;
};

extern "C" cirr_dicom_status cirr_dicom_scu_open(const cirr_dicom_peer_config *cfg,
                                                 const char *const *sop_classes,
                                                 const char *const *transfer_syntaxes,
                                                 cirr_dicom_scu **out)
{
    if (!cfg->host || !cfg->port || !cfg->called_aet)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "host, port and called AE title are required");
    std::vector<std::string> classes;
    for (const char *const *c = sop_classes; c && *c; c++)
        classes.push_back(*c);
    auto *scu = new (std::nothrow) cirr_dicom_scu{nullptr, nullptr, cfg->dimse_timeout};
    if (!scu)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    cirr_dicom_status s = cirr_dicom_request(cfg->host, cfg->port, cfg->called_aet,
                                             cfg->calling_aet ? cfg->calling_aet : "CIRR",
                                             cfg->acse_timeout, cfg->max_pdu, classes,
                                             transfer_syntaxes, &scu->net, &scu->assoc);
    if (s != CIRR_DICOM_OK) {
        delete scu;
        return s;
    }
    *out = scu;
    return CIRR_DICOM_OK;
}

extern "C" void cirr_dicom_scu_close(cirr_dicom_scu *scu)
{
    if (!scu)
        return;
    if (scu->assoc) {
        if (ASC_releaseAssociation(scu->assoc).bad())
            ASC_abortAssociation(scu->assoc);
        ASC_destroyAssociation(&scu->assoc);
    }
    if (scu->net)
        ASC_dropNetwork(&scu->net);
    delete scu;
}

static T_DIMSE_BlockingMode mode(const cirr_dicom_scu *scu)
{
    return scu->dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING;
}

extern "C" cirr_dicom_status cirr_dicom_scu_echo(cirr_dicom_scu *scu, uint16_t *dimse_status)
{
    DIC_US status = 0;
    DcmDataset *detail = nullptr;
    OFCondition cond = DIMSE_echoUser(scu->assoc, scu->assoc->nextMsgID++, mode(scu),
                                      (int)scu->dimse_timeout, &status, &detail);
    delete detail;
    *dimse_status = status;
    return cirr_dicom_from_condition(cond, "C-ECHO");
}

extern "C" cirr_dicom_status cirr_dicom_scu_store(cirr_dicom_scu *scu, cirr_dicom_dataset *ds,
                                                  uint16_t *dimse_status)
{
    OFString sop_class, sop_instance;
    if (ds->ds->findAndGetOFString(DCM_SOPClassUID, sop_class).bad() ||
        ds->ds->findAndGetOFString(DCM_SOPInstanceUID, sop_instance).bad())
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "dataset without SOP Class or Instance UID");
    DcmXfer original(ds->ds->getOriginalXfer());
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(
        scu->assoc, sop_class.c_str(), original.getXferID());
    T_ASC_PresentationContext pc;
    if (!pid || ASC_findAcceptedPresentationContext(scu->assoc->params, pid, &pc).bad())
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted presentation context for %s",
                               sop_class.c_str());
    cirr_dicom_status s = cirr_dicom_prepare_ts(ds->ds, DcmXfer(pc.acceptedTransferSyntax).getXfer());
    if (s != CIRR_DICOM_OK)
        return s;
    T_DIMSE_C_StoreRQ req = {};
    req.MessageID = scu->assoc->nextMsgID++;
    OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class.c_str(), sizeof req.AffectedSOPClassUID);
    OFStandard::strlcpy(req.AffectedSOPInstanceUID, sop_instance.c_str(), sizeof req.AffectedSOPInstanceUID);
    req.DataSetType = DIMSE_DATASET_PRESENT;
    req.Priority = DIMSE_PRIORITY_MEDIUM;
    T_DIMSE_C_StoreRSP rsp = {};
    DcmDataset *detail = nullptr;
    OFCondition cond = DIMSE_storeUser(scu->assoc, pid, &req, nullptr, ds->ds, nullptr, nullptr,
                                       mode(scu), (int)scu->dimse_timeout, &rsp, &detail);
    delete detail;
    *dimse_status = rsp.DimseStatus;
    if (cond.bad())
        return cirr_dicom_from_condition(cond, "C-STORE");
    if (rsp.DimseStatus != STATUS_Success && (rsp.DimseStatus & 0xf000) != 0xb000)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_DIMSE, "C-STORE failed with status 0x%04x", rsp.DimseStatus);
    return CIRR_DICOM_OK;
}

struct FindCtx {
    cirr_dicom_match_fn fn;
    void *ud;
    T_ASC_Association *assoc;
    T_ASC_PresentationContextID pid;
    bool cancelled;
};

static void find_progress(void *data, T_DIMSE_C_FindRQ *req, int, T_DIMSE_C_FindRSP *, DcmDataset *ids)
{
    auto *ctx = static_cast<FindCtx *>(data);
    if (ctx->cancelled || !ids)
        return;
    cirr_dicom_dataset match = cirr_dicom_wrap(ids);
    if (ctx->fn(&match, ctx->ud)) {
        ctx->cancelled = true;
        DIMSE_sendCancelRequest(ctx->assoc, ctx->pid, req->MessageID);
    }
}

extern "C" cirr_dicom_status cirr_dicom_scu_find(cirr_dicom_scu *scu, const char *sop_class,
                                                 const cirr_dicom_dataset *query, cirr_dicom_match_fn fn,
                                                 void *ud, uint16_t *dimse_status)
{
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(scu->assoc, sop_class);
    if (!pid)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted context for %s", sop_class);
    T_DIMSE_C_FindRQ req = {};
    req.MessageID = scu->assoc->nextMsgID++;
    OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class, sizeof req.AffectedSOPClassUID);
    req.DataSetType = DIMSE_DATASET_PRESENT;
    req.Priority = DIMSE_PRIORITY_MEDIUM;
    FindCtx ctx = {fn, ud, scu->assoc, pid, false};
    T_DIMSE_C_FindRSP rsp = {};
    DcmDataset *detail = nullptr;
    int count = 0;
    OFCondition cond = DIMSE_findUser(scu->assoc, pid, &req, query->ds, count, find_progress, &ctx,
                                      mode(scu), (int)scu->dimse_timeout, &rsp, &detail);
    delete detail;
    *dimse_status = rsp.DimseStatus;
    return cirr_dicom_from_condition(cond, "C-FIND");
}

extern "C" cirr_dicom_status cirr_dicom_scu_move(cirr_dicom_scu *scu, const char *sop_class,
                                                 const cirr_dicom_dataset *query, const char *destination,
                                                 unsigned *completed, unsigned *failed,
                                                 uint16_t *dimse_status)
{
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(scu->assoc, sop_class);
    if (!pid)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted context for %s", sop_class);
    T_DIMSE_C_MoveRQ req = {};
    req.MessageID = scu->assoc->nextMsgID++;
    OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class, sizeof req.AffectedSOPClassUID);
    OFStandard::strlcpy(req.MoveDestination, destination, sizeof req.MoveDestination);
    req.DataSetType = DIMSE_DATASET_PRESENT;
    req.Priority = DIMSE_PRIORITY_MEDIUM;
    T_DIMSE_C_MoveRSP rsp = {};
    DcmDataset *detail = nullptr, *ids = nullptr;
    OFCondition cond = DIMSE_moveUser(scu->assoc, pid, &req, query->ds, nullptr, nullptr, mode(scu),
                                      (int)scu->dimse_timeout, nullptr, nullptr, nullptr, &rsp,
                                      &detail, &ids);
    delete detail;
    delete ids;
    *dimse_status = rsp.DimseStatus;
    *completed = rsp.NumberOfCompletedSubOperations;
    *failed = rsp.NumberOfFailedSubOperations;
    return cirr_dicom_from_condition(cond, "C-MOVE");
}

extern "C" cirr_dicom_status cirr_dicom_scu_open_get(const cirr_dicom_peer_config *cfg,
                                                     const char *const *storage_classes, cirr_dicom_scu **out)
{
    std::vector<std::string> models = {UID_GETPatientRootQueryRetrieveInformationModel,
                                       UID_GETStudyRootQueryRetrieveInformationModel};
    std::vector<std::string> storage;
    for (const char *const *c = storage_classes; c && *c; c++)
        storage.push_back(*c);
    auto *scu = new (std::nothrow) cirr_dicom_scu{nullptr, nullptr, cfg->dimse_timeout};
    if (!scu)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    cirr_dicom_status s = cirr_dicom_request(cfg->host, cfg->port, cfg->called_aet,
                                             cfg->calling_aet ? cfg->calling_aet : "CIRR", cfg->acse_timeout,
                                             cfg->max_pdu, models, nullptr, &scu->net, &scu->assoc, storage);
    if (s != CIRR_DICOM_OK) {
        delete scu;
        return s;
    }
    *out = scu;
    return CIRR_DICOM_OK;
}

struct GetStore {
    cirr_dicom_instance_fn fn;
    void *ud;
};

static void get_store_progress(void *data, T_DIMSE_StoreProgress *progress, T_DIMSE_C_StoreRQ *, char *,
                               DcmDataset **dataset, T_DIMSE_C_StoreRSP *rsp, DcmDataset **)
{
    if (progress->state != DIMSE_StoreEnd || rsp->DimseStatus != STATUS_Success || !dataset || !*dataset)
        return;
    auto *ctx = static_cast<GetStore *>(data);
    cirr_dicom_dataset wrapped = cirr_dicom_wrap(*dataset);
    rsp->DimseStatus = ctx->fn(&wrapped, ctx->ud);
}

extern "C" cirr_dicom_status cirr_dicom_scu_get(cirr_dicom_scu *scu, const char *sop_class,
                                                const cirr_dicom_dataset *query, cirr_dicom_instance_fn fn,
                                                void *ud, unsigned *completed, unsigned *failed,
                                                uint16_t *dimse_status)
{
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(scu->assoc, sop_class);
    if (!pid)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted context for %s", sop_class);
    T_DIMSE_Message msg = {};
    msg.CommandField = DIMSE_C_GET_RQ;
    T_DIMSE_C_GetRQ &req = msg.msg.CGetRQ;
    req.MessageID = scu->assoc->nextMsgID++;
    OFStandard::strlcpy(req.AffectedSOPClassUID, sop_class, sizeof req.AffectedSOPClassUID);
    req.DataSetType = DIMSE_DATASET_PRESENT;
    req.Priority = DIMSE_PRIORITY_MEDIUM;
    OFCondition cond = DIMSE_sendMessageUsingMemoryData(scu->assoc, pid, &msg, nullptr, query->ds, nullptr, nullptr);
    *completed = *failed = 0;
    *dimse_status = 0;
    GetStore ctx = {fn, ud};
    // Answers and the peer's C-STORE sub-operations share the association.
    while (cond.good()) {
        T_ASC_PresentationContextID rpid;
        T_DIMSE_Message rsp;
        cond = DIMSE_receiveCommand(scu->assoc, mode(scu), (int)scu->dimse_timeout, &rpid, &rsp, nullptr);
        if (cond.bad())
            break;
        if (rsp.CommandField == DIMSE_C_STORE_RQ) {
            DcmDataset *ds = nullptr;
            cond = DIMSE_storeProvider(scu->assoc, rpid, &rsp.msg.CStoreRQ, nullptr, OFFalse, &ds,
                                       get_store_progress, &ctx, mode(scu), (int)scu->dimse_timeout);
            delete ds;
            continue;
        }
        if (rsp.CommandField != DIMSE_C_GET_RSP)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_NETWORK, "unexpected DIMSE command 0x%04x during C-GET",
                                   (unsigned)rsp.CommandField);
        T_DIMSE_C_GetRSP &g = rsp.msg.CGetRSP;
        if (g.DataSetType != DIMSE_DATASET_NULL) { // e.g. the failed SOP instance list
            DcmDataset *ids = nullptr;
            T_ASC_PresentationContextID dpid;
            DIMSE_receiveDataSetInMemory(scu->assoc, mode(scu), (int)scu->dimse_timeout, &dpid, &ids, nullptr, nullptr);
            delete ids;
        }
        *completed = g.NumberOfCompletedSubOperations;
        *failed = g.NumberOfFailedSubOperations;
        *dimse_status = g.DimseStatus;
        if (g.DimseStatus != STATUS_Pending)
            return CIRR_DICOM_OK;
    }
    return cirr_dicom_from_condition(cond, "C-GET");
}

extern "C" cirr_dicom_status cirr_dicom_scu_store_files(const cirr_dicom_peer_config *cfg, const char *const *paths,
                                                        size_t n, unsigned *stored, unsigned *failed)
{
    std::vector<std::string> classes, syntaxes;
    auto add = [](std::vector<std::string> &v, const std::string &s) {
        for (const auto &x : v)
            if (x == s)
                return;
        v.push_back(s);
    };
    *stored = *failed = 0;
    for (size_t i = 0; i < n; i++) { // first pass: what the association needs
        DcmFileFormat file;
        if (file.loadFile(paths[i], EXS_Unknown, EGL_noChange, 4096).bad())
            continue; // counted as failed below
        OFString cls, ts;
        file.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, cls);
        file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts);
        if (!cls.empty())
            add(classes, cls.c_str());
        if (!ts.empty())
            add(syntaxes, ts.c_str());
    }
    add(syntaxes, UID_LittleEndianExplicitTransferSyntax);
    add(syntaxes, UID_LittleEndianImplicitTransferSyntax);
    std::vector<const char *> ts_list;
    for (const auto &t : syntaxes)
        ts_list.push_back(t.c_str());
    ts_list.push_back(nullptr);
    auto *scu = new (std::nothrow) cirr_dicom_scu{nullptr, nullptr, cfg->dimse_timeout};
    if (!scu)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    cirr_dicom_status s = cirr_dicom_request(cfg->host, cfg->port, cfg->called_aet,
                                             cfg->calling_aet ? cfg->calling_aet : "CIRR", cfg->acse_timeout,
                                             cfg->max_pdu, classes, ts_list.data(), &scu->net, &scu->assoc);
    if (s != CIRR_DICOM_OK) {
        delete scu;
        return s;
    }
    for (size_t i = 0; i < n; i++) {
        cirr_dicom_dataset *ds = nullptr;
        uint16_t status = 0;
        if (cirr_dicom_dataset_read(paths[i], &ds) == CIRR_DICOM_OK &&
            cirr_dicom_scu_store(scu, ds, &status) == CIRR_DICOM_OK)
            (*stored)++;
        else
            (*failed)++;
        cirr_dicom_dataset_free(ds);
    }
    cirr_dicom_scu_close(scu);
    return CIRR_DICOM_OK;
}
