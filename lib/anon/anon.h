/* anon.h: de-identification of a DICOM dataset in place, after PS3.15
 * Annex E (the Basic Application Level Confidentiality Profile and some of
 * its options), with pseudonyms that are keyed hashes of the originals: the
 * same key gives the same output in any process, on any day, for any subset
 * of a study, without a database; different keys cannot be linked.
 *
 *   UIDs                      -> 2.25.<128 bits of HMAC-SHA-256, decimal>
 *   PatientID, PatientName    -> "P" + 13 base32 characters (from the PatientID)
 *   AccessionNumber           -> "A" + 13 ...,   StudyID -> "S" + 13 ...
 *   dates (with the option)   -> shifted by a whole number of days, from
 *                                the key and the original PatientID
 * Library code: returns a status, never prints. */
#ifndef CIRR_ANON_H
#define CIRR_ANON_H

#include <stddef.h>
#include <stdint.h>

#include "cirr_dicom.h"

/* The project key: the bytes of a secret file. */
#define ANON_KEY_MIN 16
#define ANON_KEY_MAX 1024
struct anon_key {
    unsigned char bytes[ANON_KEY_MAX];
    size_t len;
};

/* Read the key from path: a regular file that neither group nor others may
 * read or write (mode 0600 or 0400), of ANON_KEY_MIN to ANON_KEY_MAX bytes
 * (one trailing newline is not part of the key). 0, or -1 with one line in
 * err naming the path and the fault (never the key). */
int anon_key_load(const char *path, struct anon_key *key, char *err, size_t cap);

/* A private element kept (Retain Safe Private): its group, its element's
 * low byte (the xx of gggg,ccxx) and its Private Creator. */
struct anon_private_keep {
    uint16_t group;
    uint8_t element;
    char creator[65];
};

struct anon_options {
    int retain_modified_dates;   /* Retain Longitudinal Temporal Information with Modified Dates */
    int retain_patient_chars;    /* Retain Patient Characteristics (sex, age, size, weight, ...) */
    int retain_device_identity;  /* Retain Device Identity */
    int clean_descriptors;       /* Clean Descriptors: descriptions kept when on the safelist */
    const char *const *descriptor_safelist; /* NULL-terminated; NULL = none */
    int retain_uids;              /* Retain UIDs: every UID kept as it was */
    int clean_structured_content; /* Clean Structured Content: SR content trees and acquisition
                                   * context cleaned item by item rather than removed */
    const struct anon_private_keep *private_safelist; /* Retain Safe Private */
    size_t n_private_safelist;
    /* SOP classes passed on although they usually carry burned-in text
     * (secondary capture, ultrasound are quarantined otherwise);
     * NULL-terminated, NULL = none. */
    const char *const *allowed_classes;
};

/* The option names of a comma list ("dates,device"): dates (Retain
 * Longitudinal Temporal Information with Modified Dates), characteristics
 * (Retain Patient Characteristics), device (Retain Device Identity),
 * descriptors (Clean Descriptors), structured-content (Clean Structured
 * Content), uids (Retain UIDs); any case, blanks around names ignored.
 * Sets the named options in o (leaves the others). 0, or -1 with the
 * first unknown name in bad (capacity cap). */
int anon_options_parse(const char *names, struct anon_options *o, char *bad, size_t cap);

enum anon_result {
    ANON_DONE = 0,        /* de-identified in place */
    ANON_QUARANTINED = 1, /* not to be passed on: reason says why; ds untouched */
    ANON_FAILED = 2,      /* reason says what failed; ds may be half done: discard it */
};

/* De-identify ds in place under key. reason (capacity cap) gets a line for
 * QUARANTINED and FAILED, "" for DONE. */
enum anon_result anon_dataset(cirr_dicom_dataset *ds, const struct anon_key *key,
                              const struct anon_options *options, char *reason, size_t cap);

/* The pseudonymous PatientID for an original one (what anon_dataset
 * writes): for the key file that links worklist rows to pseudonyms. */
#define ANON_TOKEN_SIZE 15 /* prefix + 13 characters + NUL */
void anon_patient_token(const struct anon_key *key, const char *patient_id, char out[ANON_TOKEN_SIZE]);

#endif
