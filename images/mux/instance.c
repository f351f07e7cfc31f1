/* instance.c: see instance.h. */
#include "instance.h"

#include <stdio.h>
#include <string.h>

/* Only spaces and NULs (DICOM's padding) count as no value. */
static int blank(const char *s)
{
    return s[strspn(s, " ")] == '\0';
}

/* One UID into buf (cap bytes): 0, or -1 with why. */
static int get_uid(const cirr_dicom_dataset *ds, uint32_t tag, const char *what, char *buf, size_t cap, char *why,
                   size_t whycap)
{
    buf[0] = '\0';
    cirr_dicom_status st = cirr_dicom_get_string(ds, tag, buf, cap);
    if (st == CIRR_DICOM_OK && !blank(buf))
        return 0;
    if (st == CIRR_DICOM_OK || st == CIRR_DICOM_ERROR_NOT_FOUND)
        snprintf(why, whycap, "no %s in the dataset", what);
    else
        snprintf(why, whycap, "%s unusable: %s", what, cirr_dicom_last_error());
    return -1;
}

int instance_identify(const cirr_dicom_dataset *ds, struct instance_id *id, char *why, size_t cap)
{
    if (get_uid(ds, CIRR_TAG_SOP_CLASS_UID, "SOP Class UID", id->sop_class, sizeof id->sop_class, why, cap) < 0 ||
        get_uid(ds, CIRR_TAG_SOP_INSTANCE_UID, "SOP Instance UID", id->sop_uid, sizeof id->sop_uid, why, cap) < 0)
        return -1;
    if (cirr_dicom_get_string(ds, CIRR_TAG_MODALITY, id->modality, sizeof id->modality) != CIRR_DICOM_OK)
        id->modality[0] = '\0';
    return 0;
}
