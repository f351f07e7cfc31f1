/* transform.h: what a destination gets instead of the instance as it
 * arrived: de-identified copies (MUX_DEST_<NAME>_ANONYMIZE, lib/anon with
 * the destination's key) and JPEG-LS lossless (MUX_DEST_<NAME>_COMPRESS).
 * Both are made at forward time, on the dataset read from the spool for
 * that destination; the spool keeps one file for every destination
 * (doc/mux.md says why). */
#ifndef MUX_TRANSFORM_H
#define MUX_TRANSFORM_H

#include "cirr_dicom.h"
#include "muxconf.h"

#include <stddef.h>

enum transform_result {
    TRANSFORM_SEND,        /* ds is what d gets */
    TRANSFORM_QUARANTINED, /* not for d (burned-in annotation, ...): why says so */
    TRANSFORM_FAILED,      /* cannot be made: why says so */
};

/* De-identify ds in place when d anonymizes (else leave it). */
enum transform_result transform_anonymize(const struct mux_dest *d, cirr_dicom_dataset *ds, char *why, size_t cap);

/* The syntaxes an association to d offers beyond each instance's own:
 * JPEG-LS lossless first when d compresses, then Explicit and Implicit VR
 * Little Endian. NULL-terminated, static. */
const char *const *transform_fallback_ts(const struct mux_dest *d);

/* Compress ds to JPEG-LS lossless when d compresses, ds is an uncompressed
 * image and the association accepts JPEG-LS for its class; otherwise (the
 * encoder cannot take it, say) ds is sent as it is. 1 if compressed. */
int transform_compress(const struct mux_dest *d, cirr_dicom_scu *scu, cirr_dicom_dataset *ds, const char *sop_class);

#endif
