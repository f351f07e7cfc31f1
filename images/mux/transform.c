/* transform.c: see transform.h. */
#include "transform.h"

#include "anon/anon.h"
#include "cirr_dicom_forward.h"

#include <stdio.h>

enum transform_result transform_anonymize(const struct mux_dest *d, cirr_dicom_dataset *ds, char *why, size_t cap)
{
    if (!d->anon_key)
        return TRANSFORM_SEND;
    char reason[512];
    switch (anon_dataset(ds, d->anon_key, &d->anon_options, reason, sizeof reason)) {
    case ANON_DONE:
        return TRANSFORM_SEND;
    case ANON_QUARANTINED:
        snprintf(why, cap, "quarantined by de-identification: %s", reason);
        return TRANSFORM_QUARANTINED;
    default:
        snprintf(why, cap, "cannot de-identify: %s", reason);
        return TRANSFORM_FAILED;
    }
}

const char *const *transform_fallback_ts(const struct mux_dest *d)
{
    static const char *const plain[] = {CIRR_DICOM_TS_EXPLICIT_LE, CIRR_DICOM_TS_IMPLICIT_LE, NULL};
    static const char *const jpeg_ls[] = {CIRR_DICOM_TS_JPEG_LS_LOSSLESS, CIRR_DICOM_TS_EXPLICIT_LE,
                                          CIRR_DICOM_TS_IMPLICIT_LE, NULL};
    return d->compress ? jpeg_ls : plain;
}

int transform_compress(const struct mux_dest *d, cirr_dicom_scu *scu, cirr_dicom_dataset *ds, const char *sop_class)
{
    /* not an image, compressed already, or not encodable: ds as it is */
    return d->compress && cirr_dicom_scu_accepts(scu, sop_class, CIRR_DICOM_TS_JPEG_LS_LOSSLESS) &&
           cirr_dicom_compress(ds, CIRR_DICOM_TS_JPEG_LS_LOSSLESS) == CIRR_DICOM_OK;
}
