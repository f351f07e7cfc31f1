// internal.h: what the lib/dicom C++ files share; never included by C code.
#ifndef CIRR_DICOM_INTERNAL_H
#define CIRR_DICOM_INTERNAL_H

#include "cirr_dicom.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

// A dataset handle: owns its DcmDataset, or wraps one DCMTK owns (the
// datasets handed to SCP callbacks), in which case _free leaves it alone.
struct cirr_dicom_dataset {
    DcmDataset *ds;
    bool owned;
};

// Wrap a DCMTK dataset for the duration of a callback (not owned).
inline cirr_dicom_dataset cirr_dicom_wrap(DcmDataset *ds) { return cirr_dicom_dataset{ds, false}; }

// Remember a message for cirr_dicom_last_error() and return status.
cirr_dicom_status cirr_dicom_fail(cirr_dicom_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Map a DCMTK condition to a status, recording its text.
cirr_dicom_status cirr_dicom_from_condition(const OFCondition &cond, const char *what);

// The status for the exception being handled (call only inside a catch):
// ERROR_MEMORY for std::bad_alloc, ERROR_INTERNAL for anything else, with
// its text recorded for cirr_dicom_last_error().
cirr_dicom_status cirr_dicom_from_exception() noexcept;

// Run body (a callable returning a cirr_dicom_status) and turn any
// exception it throws into a status: every extern "C" function runs its
// work through this, so no exception crosses into C. noexcept: should the
// handling itself throw, the process stops here rather than unwind C frames.
template <typename Body>
cirr_dicom_status cirr_dicom_guard(Body &&body) noexcept
{
    try {
        return body();
    } catch (...) {
        return cirr_dicom_from_exception();
    }
}

// The transfer syntaxes offered or accepted by default, preferred first.
extern const char *const cirr_dicom_default_ts[];

// Make ds encodable in ts (decompress or convert); OK or ERROR_TRANSCODE.
cirr_dicom_status cirr_dicom_prepare_ts(DcmDataset *ds, E_TransferSyntax ts);

// Fill what every request we send has: the association's next message ID,
// the SOP class, a dataset to follow, medium priority.
template <typename Request>
void cirr_dicom_init_request(T_ASC_Association *assoc, Request *req, const char *sop_class)
{
    req->MessageID = assoc->nextMsgID++;
    OFStandard::strlcpy(req->AffectedSOPClassUID, sop_class, sizeof req->AffectedSOPClassUID);
    req->DataSetType = DIMSE_DATASET_PRESENT;
    req->Priority = DIMSE_PRIORITY_MEDIUM;
}

// An SCU association (cirr_dicom_scu_open...): defined once here, for
// scu.cc and the files that add to the SCU (forward.cc).
struct cirr_dicom_scu {
    T_ASC_Network *net;
    T_ASC_Association *assoc;
    unsigned dimse_timeout;
};

// Socket option: no Nagle on this association (DICOM over loopback crawls).
void cirr_dicom_nodelay(T_ASC_Association *assoc);

#endif
