/* catalog.h: the studies mockpacs holds. Generated studies are computed
 * from (seed, index) at start-up into a compact index sorted by date; a
 * study's series and instances are derived when asked, never stored. */
#ifndef MOCK_CATALOG_H
#define MOCK_CATALOG_H

#include "site.h"

#include <stddef.h>
#include <stdint.h>

struct patient {
    char name[48];      /* LAST^FIRST */
    char id[16];        /* MRN */
    uint32_t birth;     /* YYYYMMDD */
    char sex;           /* M or F */
};

struct study {
    uint32_t patient;
    uint8_t service;    /* index in site->services (at most SITE_MAX_SERVICES) */
    uint8_t burned_in;  /* 1: the study ends with a screen capture series (MOCK_BURNED_IN) */
    uint16_t device;
    uint32_t date;      /* YYYYMMDD */
    uint32_t time;      /* HHMMSS */
};

struct catalog {
    const struct site *site;
    struct patient *patients;
    struct study *studies;      /* sorted by date and time */
    uint32_t nstudies;
    uint32_t *patient_first;    /* studies of patient p: patient_studies[first[p]..first[p+1]) */
    uint32_t *patient_studies;
};

int catalog_build(struct catalog *c, const struct site *s);
void catalog_free(struct catalog *c);

/* A study beyond the history (push mode): same rules, dated `when`. */
void catalog_make_study(const struct catalog *c, uint32_t k, long long when, struct study *out);

/* The study's modality (its row of the modality table) and its kind
 * (description, body part) among the modality's. */
const struct modality *catalog_modality(const struct catalog *c, const struct study *st);
const struct study_kind *catalog_study_kind(const struct catalog *c, uint32_t k, const struct study *st);

unsigned catalog_series_count(const struct catalog *c, const struct study *st);
/* 1 when series j of the study is its dose report (MOCK_DOSE_REPORTS: the
 * last series of a CT study, one X-Ray Radiation Dose SR), else 0. */
int catalog_is_dose_series(const struct catalog *c, const struct study *st, unsigned j);
/* 1 when series j of the study is its screen capture (MOCK_BURNED_IN:
 * the last series, one Secondary Capture image with BurnedInAnnotation
 * YES, Modality OT), else 0. */
int catalog_is_capture_series(const struct catalog *c, const struct study *st, unsigned j);
/* The SOP Class UID of series j's instances (static storage). */
const char *catalog_sop_class(const struct catalog *c, const struct study *st, unsigned j);
unsigned catalog_instance_count(const struct catalog *c, const struct study *st, unsigned series);

/* UIDs: ROOT.1.k (study), ROOT.1.k.j (series), ROOT.1.k.j.i (instance). */
void catalog_uid(const struct catalog *c, uint32_t k, int j, int i, char *buf, size_t cap);
/* Parse a generated UID: the depth (1, 2, 3) and indices, or 0. */
int catalog_parse_uid(const struct catalog *c, const char *uid, uint32_t *k, unsigned *j, unsigned *i);

/* The value of tag for study k (series j, instance i where they apply) as
 * DICOM text; 1 when mockpacs knows the attribute, 0 when not. */
int catalog_attr(const struct catalog *c, uint32_t k, const struct study *st, int j, int i,
                 uint32_t tag, char *buf, size_t cap);

/* The range of study indices dated within [from, to] (YYYYMMDD, 0 = open). */
void catalog_date_range(const struct catalog *c, uint32_t from, uint32_t to, uint32_t *lo, uint32_t *hi);

#endif
