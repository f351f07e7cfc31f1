// dataset_size.cc: a dataset's encoded size, without encoding it
// (cirr_dicom_relay.h).
#include "cirr_dicom_relay.h"

#include "internal.h"

extern "C" cirr_dicom_status cirr_dicom_dataset_size(const cirr_dicom_dataset *ds, size_t *bytes)
{
    return cirr_dicom_guard([&] {
        E_TransferSyntax ts = ds->ds->getOriginalXfer();
        if (ts == EXS_Unknown)
            ts = EXS_LittleEndianExplicit;
        *bytes = (size_t)ds->ds->calcElementLength(ts, EET_ExplicitLength);
        return CIRR_DICOM_OK;
    });
}
