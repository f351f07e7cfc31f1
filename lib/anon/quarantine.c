/* quarantine.c: burned-in annotation, declared or likely. */
#include "anon/quarantine.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Classes whose pixels usually hold burned-in text: screen captures and
 * scanned documents, and ultrasound (the modality writes the patient's
 * name into the image). */
static const struct { const char *uid, *name; } risky[] = {
    {"1.2.840.10008.5.1.4.1.1.7", "Secondary Capture"},
    {"1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture"},
    {"1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture"},
    {"1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture"},
    {"1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture"},
    {"1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image"},
    {"1.2.840.10008.5.1.4.1.1.6.2", "Enhanced US Volume"},
    {"1.2.840.10008.5.1.4.1.1.3.1", "Ultrasound Multi-frame Image"},
    {"1.2.840.10008.5.1.4.1.1.6", "Ultrasound Image (retired)"},
    {"1.2.840.10008.5.1.4.1.1.3", "Ultrasound Multi-frame Image (retired)"},
};

static int allowed(const char *uid, const char *const *list)
{
    for (; list && *list; list++)
        if (!strcmp(uid, *list))
            return 1;
    return 0;
}

int quarantine_check(const cirr_dicom_dataset *ds, const struct anon_options *o, char *reason, size_t cap)
{
    char value[80];
    if (cirr_dicom_get_string(ds, CIRR_TAG_BURNED_IN_ANNOTATION, value, sizeof value) == CIRR_DICOM_OK &&
        !strncasecmp(value, "YES", 3)) {
        snprintf(reason, cap, "BurnedInAnnotation is YES");
        return 1;
    }
    if (cirr_dicom_get_string(ds, CIRR_TAG_SOP_CLASS_UID, value, sizeof value) != CIRR_DICOM_OK)
        return 0;
    for (size_t i = 0; i < sizeof risky / sizeof risky[0]; i++)
        if (!strcmp(value, risky[i].uid) && !allowed(value, o->allowed_classes)) {
            snprintf(reason, cap, "SOP class %s (%s) usually carries burned-in text", value, risky[i].name);
            return 1;
        }
    return 0;
}
