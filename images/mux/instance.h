/* instance.h: what makes a dataset an instance mux can take and forward:
 * a SOP Class UID (to offer it to a destination) and a SOP Instance UID
 * (to name it in the spool and at the destination). Checked when it
 * arrives, so that what cannot be forwarded is refused at once rather
 * than acknowledged, and when it is read back from the spool. */
#ifndef MUX_INSTANCE_H
#define MUX_INSTANCE_H

#include "cirr_dicom.h"

#include <stddef.h>

/* Longer than any valid UID (64), so that a slightly long one still passes. */
#define INSTANCE_UID_MAX 128

struct instance_id {
    char sop_class[INSTANCE_UID_MAX];
    char sop_uid[INSTANCE_UID_MAX];
    char modality[32]; /* "" when absent: the routing filters decide */
};

/* Fill id from ds: 0, or -1 with why ("no SOP Instance UID in the
 * dataset", ...) when either UID is missing, blank or unreadable. */
int instance_identify(const cirr_dicom_dataset *ds, struct instance_id *id, char *why, size_t cap);

#endif
