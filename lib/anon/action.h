/* action.h: what one element becomes, given its Table E.1-1 action code
 * (or the rule for its VR when no row names it). */
#ifndef CIRR_ANON_ACTION_H
#define CIRR_ANON_ACTION_H

#include "anon/anon.h"
#include "anon/profile.h"
#include "cirr_dicom_edit.h"

/* What a walk over one dataset knows. */
struct anon_walk {
    const struct anon_key *key;
    const struct anon_options *options;
    int day_shift;            /* days, for the modified-dates option */
    const char *patient_id;   /* the original PatientID ("" when none) */
    int structured_report;    /* an SR document (SOP Class 1.2.840.10008.5.1.4.1.1.88.x) */
};

/* The code that applies to rule under the options chosen. */
enum anon_code action_code(const struct anon_rule *rule, const struct anon_options *o);

/* The code for an element no row names, by its VR: UIDs outside the
 * standard's own root are replaced, person names, dates and free text
 * (LT, ST, UT) emptied (dates shifted with the modified-dates option, free
 * text kept when safelisted with Clean Descriptors), the rest kept. */
enum anon_code action_code_by_vr(const cirr_dicom_element *e, const struct anon_options *o);

/* Whether what action_apply does with code on e depends on e's value (a
 * walk that converts values only on demand asks this first). */
int action_needs_value(enum anon_code code, const cirr_dicom_element *e);

/* Carry out code on e: the walker's action, and the replacement text. */
cirr_dicom_edit_action action_apply(enum anon_code code, const cirr_dicom_element *e,
                                    const struct anon_walk *w, char *out, size_t cap);

#endif
