// move_progress.cc: C-MOVE with its pending responses passed to the
// caller (cirr_dicom_relay.h).
#include "cirr_dicom_relay.h"

#include "retrieve.h"
#include "transport.h"

namespace {

struct Progress {
    cirr_dicom_move_progress_fn fn;
    void *ud;
};

void on_pending(void *data, T_DIMSE_C_MoveRQ *, int, T_DIMSE_C_MoveRSP *rsp)
{
    auto *p = static_cast<Progress *>(data);
    if (!p->fn)
        return;
    long remaining = (rsp->opts & O_MOVE_NUMBEROFREMAININGSUBOPERATIONS) ? (long)rsp->NumberOfRemainingSubOperations
                                                                         : -1;
    p->fn(remaining, rsp->NumberOfCompletedSubOperations, rsp->NumberOfFailedSubOperations,
          rsp->NumberOfWarningSubOperations, p->ud);
}

cirr_dicom_status move(const cirr_dicom_peer_config *cfg, const char *sop_class, const cirr_dicom_dataset *query,
                       const char *destination, Progress *progress, unsigned *completed, unsigned *failed,
                       uint16_t *dimse_status)
{
    T_ASC_Network *net = nullptr;
    T_ASC_Association *assoc = nullptr;
    cirr_dicom_status s = cirr_dicom_request(cfg->host, cfg->port, cfg->called_aet,
                                             cfg->calling_aet ? cfg->calling_aet : "CIRR", cfg->acse_timeout,
                                             cfg->max_pdu, {UID_MOVEPatientRootQueryRetrieveInformationModel,
                                                            UID_MOVEStudyRootQueryRetrieveInformationModel},
                                             nullptr, &net, &assoc);
    if (s != CIRR_DICOM_OK)
        return s;
    cirr_dicom_guard_answer_time(assoc, cfg->dimse_timeout);
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(assoc, sop_class);
    if (!pid) {
        s = cirr_dicom_fail(CIRR_DICOM_ERROR_NO_CONTEXT, "no accepted context for %s", sop_class);
    } else {
        T_DIMSE_C_MoveRQ req = {};
        cirr_dicom_init_request(assoc, &req, sop_class);
        OFStandard::strlcpy(req.MoveDestination, destination, sizeof req.MoveDestination);
        T_DIMSE_C_MoveRSP rsp = {};
        DcmDataset *detail = nullptr, *ids = nullptr;
        T_DIMSE_BlockingMode mode = cfg->dimse_timeout ? DIMSE_NONBLOCKING : DIMSE_BLOCKING;
        OFCondition cond = DIMSE_moveUser(assoc, pid, &req, query->ds, on_pending, progress, mode,
                                          (int)cfg->dimse_timeout, nullptr, nullptr, nullptr, &rsp, &detail, &ids);
        delete detail;
        delete ids;
        *dimse_status = rsp.DimseStatus;
        *completed = rsp.NumberOfCompletedSubOperations;
        *failed = rsp.NumberOfFailedSubOperations;
        s = cirr_dicom_scu_condition(assoc, cond, "C-MOVE");
    }
    if (s == CIRR_DICOM_OK && ASC_releaseAssociation(assoc).bad())
        ASC_abortAssociation(assoc);
    else if (s != CIRR_DICOM_OK)
        ASC_abortAssociation(assoc);
    ASC_destroyAssociation(&assoc);
    ASC_dropNetwork(&net);
    return s;
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_move_with_progress(const cirr_dicom_peer_config *cfg, const char *sop_class,
                                                           const cirr_dicom_dataset *query, const char *destination,
                                                           cirr_dicom_move_progress_fn fn, void *ud,
                                                           unsigned *completed, unsigned *failed,
                                                           uint16_t *dimse_status)
{
    if (!cfg->host || !cfg->port || !cfg->called_aet || !sop_class || !destination)
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "host, port, called AE title, class and destination are required");
    *completed = *failed = 0;
    *dimse_status = 0;
    return cirr_dicom_guard([&] {
        Progress p = {fn, ud};
        return move(cfg, sop_class, query, destination, &p, completed, failed, dimse_status);
    });
}
