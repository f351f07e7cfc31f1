// scu.cc: the SCU side: associations to a peer, and echo, store, find and
// move over them.
#include "retrieve.h"
#include "transport.h"

#include <cstring>
#include <memory>
#include <new>

// A NULL-terminated list (NULL itself is empty) as strings.
static std::vector<std::string> string_list(const char *const *list)
{
    std::vector<std::string> v;
    for (const char *const *p = list; p && *p; p++)
        v.push_back(*p);
    return v;
}

// A new handle on an association to cfg's peer (see cirr_dicom_request).
static cirr_dicom_status open_scu(const cirr_dicom_peer_config *cfg,
                                  const std::vector<std::string> &classes, const char *const *ts,
                                  const std::vector<std::string> &scp_role_classes,
                                  cirr_dicom_scu **out)
{
    std::unique_ptr<cirr_dicom_scu> scu(new (std::nothrow) cirr_dicom_scu{});
    if (!scu)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
    scu->dimse_timeout = cfg->dimse_timeout;
    cirr_dicom_status s = cirr_dicom_request(cfg->host, cfg->port, cfg->called_aet,
                                             cfg->calling_aet ? cfg->calling_aet : "CIRR",
                                             cfg->acse_timeout, cfg->max_pdu, classes, ts,
                                             &scu->net, &scu->assoc, scp_role_classes);
    if (s == CIRR_DICOM_OK) {
        cirr_dicom_guard_answer_time(scu->assoc, cfg->dimse_timeout);
        *out = scu.release();
    }
    return s;
}

extern "C" cirr_dicom_status cirr_dicom_scu_open(const cirr_dicom_peer_config *cfg,
                                                 const char *const *sop_classes,
                                                 const char *const *transfer_syntaxes,
                                                 cirr_dicom_scu **out)
{
    if (!cfg->host || !cfg->port || !cfg->called_aet)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "host, port and called AE title are required");
    return cirr_dicom_guard([&] {
        return open_scu(cfg, string_list(sop_classes), transfer_syntaxes, {}, out);
    });
}

extern "C" void cirr_dicom_scu_close(cirr_dicom_scu *scu)
{
    if (!scu)
        return;
    cirr_dicom_guard([&] {
        if (scu->assoc) {
            if (ASC_releaseAssociation(scu->assoc).bad())
                ASC_abortAssociation(scu->assoc);
            ASC_destroyAssociation(&scu->assoc);
        }
        if (scu->net)
            ASC_dropNetwork(&scu->net);
        delete scu;
        return CIRR_DICOM_OK;
    });
}

static T_DIMSE_BlockingMode mode(const cirr_dicom_scu *scu)
{
    return scu->dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING;
}

// The accepted presentation context for a request of sop_class, with the
// request's common fields filled; 0 (error recorded) when there is none.
template <typename Request>
static T_ASC_PresentationContextID start_request(cirr_dicom_scu *scu, const char *sop_class, Request *req)
{
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(scu->assoc, sop_class);
    if (pid)
        cirr_dicom_init_request(scu->assoc, req, sop_class);
    else
        cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted context for %s", sop_class);
    return pid;
}

extern "C" cirr_dicom_status cirr_dicom_scu_echo(cirr_dicom_scu *scu, uint16_t *dimse_status)
{
    return cirr_dicom_guard([&] {
        DIC_US status = 0;
        DcmDataset *detail = nullptr;
        OFCondition cond = DIMSE_echoUser(scu->assoc, scu->assoc->nextMsgID++, mode(scu),
                                          (int)scu->dimse_timeout, &status, &detail);
        delete detail;
        *dimse_status = status;
        return cirr_dicom_scu_condition(scu->assoc, cond, "C-ECHO");
    });
}

extern "C" cirr_dicom_status cirr_dicom_scu_store(cirr_dicom_scu *scu, cirr_dicom_dataset *ds,
                                                  uint16_t *dimse_status)
{
    return cirr_dicom_guard([&] {
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
        cirr_dicom_init_request(scu->assoc, &req, sop_class.c_str());
        OFStandard::strlcpy(req.AffectedSOPInstanceUID, sop_instance.c_str(),
                            sizeof req.AffectedSOPInstanceUID);
        T_DIMSE_C_StoreRSP rsp = {};
        DcmDataset *detail = nullptr;
        OFCondition cond = DIMSE_storeUser(scu->assoc, pid, &req, nullptr, ds->ds, nullptr, nullptr,
                                           mode(scu), (int)scu->dimse_timeout, &rsp, &detail);
        delete detail;
        *dimse_status = rsp.DimseStatus;
        if (cond.bad())
            return cirr_dicom_scu_condition(scu->assoc, cond, "C-STORE");
        if (rsp.DimseStatus != STATUS_Success && (rsp.DimseStatus & 0xf000) != 0xb000)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_DIMSE, "C-STORE failed with status 0x%04x",
                                   rsp.DimseStatus);
        return CIRR_DICOM_OK;
    });
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
    return cirr_dicom_guard([&] {
        T_DIMSE_C_FindRQ req = {};
        T_ASC_PresentationContextID pid = start_request(scu, sop_class, &req);
        if (!pid)
            return CIRR_DICOM_ERROR_NO_CONTEXT;
        FindCtx ctx = {fn, ud, scu->assoc, pid, false};
        T_DIMSE_C_FindRSP rsp = {};
        DcmDataset *detail = nullptr;
        int count = 0;
        OFCondition cond = DIMSE_findUser(scu->assoc, pid, &req, query->ds, count, find_progress, &ctx,
                                          mode(scu), (int)scu->dimse_timeout, &rsp, &detail);
        delete detail;
        *dimse_status = rsp.DimseStatus;
        return cirr_dicom_scu_condition(scu->assoc, cond, "C-FIND");
    });
}

extern "C" void cirr_dicom_scu_set_message_id(cirr_dicom_scu *scu, uint16_t message_id)
{
    if (message_id)
        scu->assoc->nextMsgID = message_id;
}

extern "C" cirr_dicom_status cirr_dicom_scu_move(cirr_dicom_scu *scu, const char *sop_class,
                                                 const cirr_dicom_dataset *query, const char *destination,
                                                 unsigned *completed, unsigned *failed,
                                                 uint16_t *dimse_status)
{
    return cirr_dicom_guard([&] {
        T_DIMSE_C_MoveRQ req = {};
        T_ASC_PresentationContextID pid = start_request(scu, sop_class, &req);
        if (!pid)
            return CIRR_DICOM_ERROR_NO_CONTEXT;
        OFStandard::strlcpy(req.MoveDestination, destination, sizeof req.MoveDestination);
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
        return cirr_dicom_scu_condition(scu->assoc, cond, "C-MOVE");
    });
}

extern "C" cirr_dicom_status cirr_dicom_scu_open_get(const cirr_dicom_peer_config *cfg,
                                                     const char *const *storage_classes, cirr_dicom_scu **out)
{
    return cirr_dicom_guard([&] {
        std::vector<std::string> models = {UID_GETPatientRootQueryRetrieveInformationModel,
                                           UID_GETStudyRootQueryRetrieveInformationModel};
        return open_scu(cfg, models, nullptr, string_list(storage_classes), out);
    });
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

// One C-GET response: its counts recorded; true when it is the final one.
static bool get_answer(cirr_dicom_scu *scu, const T_DIMSE_C_GetRSP &g, unsigned *completed, unsigned *failed,
                       uint16_t *dimse_status)
{
    if (g.DataSetType != DIMSE_DATASET_NULL) { // e.g. the failed SOP instance list
        DcmDataset *ids = nullptr;
        T_ASC_PresentationContextID dpid;
        DIMSE_receiveDataSetInMemory(scu->assoc, mode(scu), (int)scu->dimse_timeout, &dpid, &ids, nullptr,
                                     nullptr);
        delete ids;
    }
    *completed = g.NumberOfCompletedSubOperations;
    *failed = g.NumberOfFailedSubOperations;
    *dimse_status = g.DimseStatus;
    return g.DimseStatus != STATUS_Pending;
}

static cirr_dicom_status get(cirr_dicom_scu *scu, const char *sop_class, const cirr_dicom_dataset *query,
                             cirr_dicom_instance_fn fn, void *ud, unsigned *completed, unsigned *failed,
                             uint16_t *dimse_status)
{
    T_DIMSE_Message msg = {};
    msg.CommandField = DIMSE_C_GET_RQ;
    T_ASC_PresentationContextID pid = start_request(scu, sop_class, &msg.msg.CGetRQ);
    if (!pid)
        return CIRR_DICOM_ERROR_NO_CONTEXT;
    OFCondition cond = DIMSE_sendMessageUsingMemoryData(scu->assoc, pid, &msg, nullptr, query->ds, nullptr,
                                                        nullptr);
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
        if (get_answer(scu, rsp.msg.CGetRSP, completed, failed, dimse_status))
            return CIRR_DICOM_OK;
    }
    return cirr_dicom_scu_condition(scu->assoc, cond, "C-GET");
}

extern "C" cirr_dicom_status cirr_dicom_scu_get(cirr_dicom_scu *scu, const char *sop_class,
                                                const cirr_dicom_dataset *query, cirr_dicom_instance_fn fn,
                                                void *ud, unsigned *completed, unsigned *failed,
                                                uint16_t *dimse_status)
{
    return cirr_dicom_guard([&] {
        return get(scu, sop_class, query, fn, ud, completed, failed, dimse_status);
    });
}

// What an association for these files proposes: their SOP classes, and
// their transfer syntaxes plus Explicit and Implicit VR Little Endian.
static void needs_of(const char *const *paths, size_t n, std::vector<std::string> *classes,
                     std::vector<std::string> *syntaxes)
{
    auto add = [](std::vector<std::string> *v, const std::string &s) {
        for (const auto &x : *v)
            if (x == s)
                return;
        v->push_back(s);
    };
    for (size_t i = 0; i < n; i++) {
        DcmFileFormat file;
        if (file.loadFile(paths[i], EXS_Unknown, EGL_noChange, 4096).bad())
            continue; // counted as failed when it is sent
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
}

static cirr_dicom_status store_files(const cirr_dicom_peer_config *cfg, const char *const *paths, size_t n,
                                     unsigned *stored, unsigned *failed)
{
    std::vector<std::string> classes, syntaxes;
    *stored = *failed = 0;
    needs_of(paths, n, &classes, &syntaxes);
    std::vector<const char *> ts_list;
    for (const auto &t : syntaxes)
        ts_list.push_back(t.c_str());
    ts_list.push_back(nullptr);
    cirr_dicom_scu *scu = nullptr;
    cirr_dicom_status s = open_scu(cfg, classes, ts_list.data(), {}, &scu);
    if (s != CIRR_DICOM_OK)
        return s;
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

extern "C" cirr_dicom_status cirr_dicom_scu_store_files(const cirr_dicom_peer_config *cfg, const char *const *paths,
                                                        size_t n, unsigned *stored, unsigned *failed)
{
    return cirr_dicom_guard([&] { return store_files(cfg, paths, n, stored, failed); });
}
