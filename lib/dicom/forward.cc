// forward.cc: associations with a context per transfer syntax, and
// compression on the way out (cirr_dicom_forward.h).
#include "cirr_dicom_forward.h"

#include "internal.h"
#include "transport.h"

#include <dcmtk/dcmjpls/djencode.h>

#include <memory>
#include <new>

// The handle of scu.cc: the same definition (C++ allows one class defined
// alike in several files); it belongs in internal.h, beside the dataset's.
namespace {

// Verification; per class the context with every syntax, then (room
// allowing: ids are odd, 1-255) one context per syntax.
void propose_each(T_ASC_Parameters *params, const char *const *classes, const char *const *ts)
{
    const char *echo_ts[] = {UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax};
    int nts = 0, id = 3;
    while (ts[nts])
        nts++;
    ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, echo_ts, 2);
    for (const char *const *c = classes; c && *c && id <= 253; c++, id += 2)
        ASC_addPresentationContext(params, (T_ASC_PresentationContextID)id, *c, const_cast<const char **>(ts), nts);
    for (const char *const *c = classes; c && *c; c++)
        for (int t = 0; t < nts && nts > 1 && id <= 253; t++, id += 2)
            ASC_addPresentationContext(params, (T_ASC_PresentationContextID)id, *c, const_cast<const char **>(&ts[t]), 1);
}

// The association request itself; on failure nothing is left open.
cirr_dicom_status request(const cirr_dicom_peer_config *cfg, const char *const *classes, const char *const *ts,
                          cirr_dicom_scu *scu)
{
    OFCondition cond = ASC_initializeNetwork(NET_REQUESTOR, 0, (int)(cfg->acse_timeout ? cfg->acse_timeout : 30),
                                             &scu->net);
    if (cond.good() && (cond = cirr_dicom_guard_requestor(scu->net, cfg->acse_timeout)).bad())
        ASC_dropNetwork(&scu->net);
    if (cond.bad())
        return cirr_dicom_from_condition(cond, "network");
    T_ASC_Parameters *params = nullptr;
    char address[300];
    snprintf(address, sizeof address, "%s:%u", cfg->host, cfg->port);
    ASC_createAssociationParameters(&params, (long)(cfg->max_pdu ? cfg->max_pdu : ASC_DEFAULTMAXPDU));
    ASC_setAPTitles(params, cfg->calling_aet ? cfg->calling_aet : "CIRR", cfg->called_aet, nullptr);
    ASC_setPresentationAddresses(params, "localhost", address);
    propose_each(params, classes, ts);
    cond = ASC_requestAssociation(scu->net, params, &scu->assoc);
    if (cond.good()) {
        cirr_dicom_nodelay(scu->assoc);
        cirr_dicom_guard_accepted(scu->assoc);
        cirr_dicom_guard_answer_time(scu->assoc, cfg->dimse_timeout);
        return CIRR_DICOM_OK;
    }
    cirr_dicom_status s = cond == DUL_ASSOCIATIONREJECTED
                              ? cirr_dicom_fail(CIRR_DICOM_ERROR_REJECTED, "association rejected by %s", address)
                              : cirr_dicom_scu_request_condition(cond, "association");
    if (scu->assoc)
        ASC_destroyAssociation(&scu->assoc);
    else
        ASC_destroyAssociationParameters(&params);
    ASC_dropNetwork(&scu->net);
    return s;
}

bool has_pixel_data(DcmDataset *ds)
{
    DcmStack stack;
    return ds->search(DCM_PixelData, stack, ESM_fromHere, OFFalse).good();
}

} // namespace

extern "C" cirr_dicom_status cirr_dicom_read_as_is(const char *path, cirr_dicom_dataset **out)
{
    return cirr_dicom_guard([&] {
        DcmFileFormat file;
        OFCondition cond = file.loadFile(path);
        if (cond.bad())
            return cirr_dicom_fail(cond == EC_InvalidStream || cond == EC_StreamNotifyClient ? CIRR_DICOM_ERROR_PARSE
                                                                                            : CIRR_DICOM_ERROR_IO,
                                   "%s: %s", path, cond.text());
        std::unique_ptr<DcmDataset> d(file.getAndRemoveDataset()); // its syntax as read, no copy
        *out = new (std::nothrow) cirr_dicom_dataset{d.get(), true};
        if (!*out)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        d.release();
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_scu_open_each_ts(const cirr_dicom_peer_config *cfg,
                                                         const char *const *sop_classes,
                                                         const char *const *transfer_syntaxes, cirr_dicom_scu **out)
{
    if (!cfg->host || !cfg->port || !cfg->called_aet || !transfer_syntaxes || !transfer_syntaxes[0])
        return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "host, port, called AE title and a syntax are required");
    return cirr_dicom_guard([&] {
        std::unique_ptr<cirr_dicom_scu> scu(new (std::nothrow) cirr_dicom_scu{});
        if (!scu)
            return cirr_dicom_fail(CIRR_DICOM_ERROR_MEMORY, "out of memory");
        scu->dimse_timeout = cfg->dimse_timeout;
        cirr_dicom_status s = request(cfg, sop_classes, transfer_syntaxes, scu.get());
        if (s == CIRR_DICOM_OK)
            *out = scu.release();
        return s;
    });
}

extern "C" int cirr_dicom_scu_accepts(const cirr_dicom_scu *scu, const char *sop_class, const char *ts_uid)
{
    T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(scu->assoc, sop_class, ts_uid);
    T_ASC_PresentationContext pc;
    // DCMTK falls back to any context of the class: the syntax must be the one asked for
    return pid && ASC_findAcceptedPresentationContext(scu->assoc->params, pid, &pc).good() &&
           !strcmp(pc.acceptedTransferSyntax, ts_uid);
}

extern "C" cirr_dicom_status cirr_dicom_encoders_init(void)
{
    return cirr_dicom_guard([] {
        DJLSEncoderRegistration::registerCodecs();
        return CIRR_DICOM_OK;
    });
}

extern "C" void cirr_dicom_encoders_cleanup(void)
{
    cirr_dicom_guard([] {
        DJLSEncoderRegistration::cleanup();
        return CIRR_DICOM_OK;
    });
}

extern "C" cirr_dicom_status cirr_dicom_compress(cirr_dicom_dataset *ds, const char *ts_uid)
{
    return cirr_dicom_guard([&] {
        DcmXfer to(ts_uid), from(ds->ds->getOriginalXfer());
        if (!to.isEncapsulated() || from.isEncapsulated() || !has_pixel_data(ds->ds))
            return cirr_dicom_fail(CIRR_DICOM_ERROR_ARGUMENT, "nothing to compress from %s to %s",
                                   from.getXferName(), to.getXferName());
        cirr_dicom_status s = cirr_dicom_prepare_ts(ds->ds, to.getXfer());
        if (s != CIRR_DICOM_OK)
            return s;
        ds->ds->updateOriginalXfer(); // sent in the compressed syntax now
        return CIRR_DICOM_OK;
    });
}
