/* profile.h: PS3.15 Table E.1-1 (Application Level Confidentiality Profile
 * Attributes) as data: one row per attribute, with the Basic Profile's
 * action and the actions of the option columns cirr implements. */
#ifndef CIRR_ANON_PROFILE_H
#define CIRR_ANON_PROFILE_H

#include <stdint.h>

/* The action codes of Table E.1-1a. */
enum anon_code {
    ANON_NONE = 0, /* no entry in this column */
    ANON_D,        /* a dummy value consistent with the VR */
    ANON_Z,        /* zero length (or a dummy) */
    ANON_X,        /* remove */
    ANON_K,        /* keep (a sequence: keep, its items cleaned) */
    ANON_C,        /* clean: a value of similar meaning without identity */
    ANON_U,        /* a UID, consistent within the set */
    ANON_ZD,       /* Z unless D is needed for the IOD (Type 2 / Type 1) */
    ANON_XZ,       /* X unless Z is needed (Type 3 / Type 2) */
    ANON_XD,       /* X unless D is needed (Type 3 / Type 1) */
    ANON_XZD,      /* X unless Z or D is needed */
    ANON_XZU,      /* X unless Z, or U of the contained instance UIDs, is needed */
    ANON_CD,       /* not the table's: C where an option allows it, else D (a content item's Type 1 value) */
};

struct anon_rule {
    uint32_t tag;
    enum anon_code basic;        /* Basic Profile */
    enum anon_code device;       /* Retain Device Identity Option */
    enum anon_code patient;      /* Retain Patient Characteristics Option */
    enum anon_code dates;        /* Retain Longitudinal Temporal Information Modified Dates Option */
    enum anon_code descriptors;  /* Clean Descriptors Option */
    enum anon_code structured;   /* Clean Structured Content Option */
    const char *name;
};

/* The row of tag, or NULL when the table has none. */
const struct anon_rule *anon_profile_rule(uint32_t tag);

/* Every row, in tag order (for tests and the manual). */
const struct anon_rule *anon_profile_rows(unsigned *n);

#endif
