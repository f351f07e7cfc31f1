/* quarantine.h: instances that must not be passed on de-identified,
 * because their pixels may carry identity that no attribute edit removes. */
#ifndef CIRR_ANON_QUARANTINE_H
#define CIRR_ANON_QUARANTINE_H

#include "anon/anon.h"

/* 1 with a reason in reason (capacity cap) when ds is to be quarantined:
 * BurnedInAnnotation YES, or a SOP class that usually carries burned-in
 * text (secondary capture, ultrasound) that options do not allow. 0 when
 * it may be de-identified and passed on. */
int quarantine_check(const cirr_dicom_dataset *ds, const struct anon_options *o, char *reason, size_t cap);

#endif
