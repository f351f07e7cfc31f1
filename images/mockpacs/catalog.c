/* catalog.c: generated patients and studies, and their attributes. */
#include "catalog.h"

#include "cirr_dicom.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const last_names[] = {
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ",
    "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR",
    "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ",
    "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT",
    "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES",
};
static const char *const first_m[] = {"JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID",
                                      "RICHARD", "JOSEPH", "THOMAS", "CHARLES", "CARLOS", "WEI"};
static const char *const first_f[] = {"MARY", "PATRICIA", "JENNIFER", "LINDA", "ELIZABETH", "BARBARA",
                                      "SUSAN", "JESSICA", "SARAH", "KAREN", "MARIA", "MEI"};
static const char *const physicians[] = {"HOUSE^GREGORY", "GREY^MEREDITH", "SHEPHERD^DEREK",
                                         "YANG^CRISTINA", "KILDARE^JAMES", "QUINN^MICHAELA"};

#define N(a) (sizeof(a) / sizeof *(a))

const struct modality *catalog_modality(const struct catalog *c, const struct study *st)
{
    return c->site->services[st->service].modality;
}

const struct study_kind *catalog_study_kind(const struct catalog *c, uint32_t k, const struct study *st)
{
    const struct modality *m = catalog_modality(c, st);
    return &m->studies[rng_below(rng_hash(c->site->seed, 4, k, 0), m->nstudies)];
}

static long long days_from_ymd(uint32_t ymd)
{
    struct tm tm = {0};
    tm.tm_year = (int)(ymd / 10000) - 1900;
    tm.tm_mon = (int)(ymd / 100 % 100) - 1;
    tm.tm_mday = (int)(ymd % 100);
    return (long long)timegm(&tm);
}

static void to_date_time(long long t, uint32_t *date, uint32_t *hms)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    *date = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
    *hms = (uint32_t)(tm.tm_hour * 10000 + tm.tm_min * 100 + tm.tm_sec);
}

static void make_patient(const struct site *s, uint32_t p, struct patient *out)
{
    uint64_t h = rng_hash(s->seed, 1, p, 0);
    out->sex = (h & 1) ? 'F' : 'M';
    const char *first = out->sex == 'F' ? first_f[rng_below(h >> 8, N(first_f))] : first_m[rng_below(h >> 8, N(first_m))];
    snprintf(out->name, sizeof out->name, "%s^%s", last_names[rng_below(h >> 16, N(last_names))], first);
    snprintf(out->id, sizeof out->id, "MRN%08u", p + 1);
    unsigned year = 1930 + rng_below(h >> 24, 90), month = 1 + rng_below(h >> 32, 12), day = 1 + rng_below(h >> 40, 28);
    out->birth = year * 10000 + month * 100 + day;
}

/* Pick a service weighted by its rate: busier services have more studies. */
static uint8_t pick_service(const struct site *s, uint64_t h)
{
    double total = 0;
    for (unsigned i = 0; i < s->nservices; i++)
        total += s->services[i].per_hour > 0 ? s->services[i].per_hour : 0.01;
    double x = (double)(h % 1000000) / 1e6 * total;
    for (unsigned i = 0; i < s->nservices; i++) {
        x -= s->services[i].per_hour > 0 ? s->services[i].per_hour : 0.01;
        if (x < 0)
            return (uint8_t)i;
    }
    return (uint8_t)(s->nservices - 1);
}

void catalog_make_study(const struct catalog *c, uint32_t k, long long when, struct study *out)
{
    const struct site *s = c->site;
    uint64_t h = rng_hash(s->seed, 2, k, 0);
    out->patient = rng_below(h, s->patients);
    out->service = pick_service(s, h >> 20);
    out->device = (uint16_t)rng_below(h >> 40, s->services[out->service].devices);
    out->burned_in = s->burned_in && (k + 1) % s->burned_in == 0; /* accession A..N, A..2N, ... */
    to_date_time(when, &out->date, &out->time);
}

int catalog_build(struct catalog *c, const struct site *s)
{
    memset(c, 0, sizeof *c);
    c->site = s;
    c->nstudies = s->studies;
    c->patients = calloc(s->patients, sizeof *c->patients);
    c->studies = calloc(c->nstudies ? c->nstudies : 1, sizeof *c->studies);
    c->patient_first = calloc((size_t)s->patients + 1, sizeof *c->patient_first);
    c->patient_studies = calloc(c->nstudies ? c->nstudies : 1, sizeof *c->patient_studies);
    if (!c->patients || !c->studies || !c->patient_first || !c->patient_studies)
        return -1;
    for (uint32_t p = 0; p < s->patients; p++)
        make_patient(s, p, &c->patients[p]);
    /* Study k sits in slot k of the window, at a deterministic point in it:
     * indices follow time, so a date range is an index range. */
    long long end = days_from_ymd(s->end_date) + 86400, span = (long long)s->history_days * 86400;
    double slot = c->nstudies ? (double)span / c->nstudies : 0;
    for (uint32_t k = 0; k < c->nstudies; k++) {
        double jitter = (double)(rng_hash(s->seed, 3, k, 0) % 1000) / 1000.0;
        catalog_make_study(c, k, end - span + (long long)(slot * (k + jitter)), &c->studies[k]);
        c->patient_first[c->studies[k].patient + 1]++;
    }
    for (uint32_t p = 0; p < s->patients; p++)
        c->patient_first[p + 1] += c->patient_first[p];
    uint32_t *fill = calloc((size_t)s->patients, sizeof *fill);
    if (!fill)
        return -1;
    for (uint32_t k = 0; k < c->nstudies; k++) {
        uint32_t p = c->studies[k].patient;
        c->patient_studies[c->patient_first[p] + fill[p]++] = k;
    }
    free(fill);
    return 0;
}

void catalog_free(struct catalog *c)
{
    free(c->patients);
    free(c->studies);
    free(c->patient_first);
    free(c->patient_studies);
}

/* X-Ray Radiation Dose SR Storage; Secondary Capture Image Storage */
#define DOSE_SR_CLASS "1.2.840.10008.5.1.4.1.1.88.67"
#define CAPTURE_CLASS "1.2.840.10008.5.1.4.1.1.7"

static int has_dose_report(const struct catalog *c, const struct study *st)
{
    return c->site->dose_reports && !strcmp(catalog_modality(c, st)->code, "CT");
}

/* Image series first, then the dose report, then the screen capture. */
unsigned catalog_series_count(const struct catalog *c, const struct study *st)
{
    return catalog_modality(c, st)->nseries + (has_dose_report(c, st) ? 1 : 0) + (st->burned_in ? 1 : 0);
}

int catalog_is_dose_series(const struct catalog *c, const struct study *st, unsigned j)
{
    return has_dose_report(c, st) && j == catalog_modality(c, st)->nseries;
}

int catalog_is_capture_series(const struct catalog *c, const struct study *st, unsigned j)
{
    return st->burned_in && j + 1 == catalog_series_count(c, st);
}

const char *catalog_sop_class(const struct catalog *c, const struct study *st, unsigned j)
{
    if (catalog_is_capture_series(c, st, j))
        return CAPTURE_CLASS;
    return catalog_is_dose_series(c, st, j) ? DOSE_SR_CLASS : catalog_modality(c, st)->sop_class;
}

unsigned catalog_instance_count(const struct catalog *c, const struct study *st, unsigned j)
{
    const struct modality *m = catalog_modality(c, st);
    unsigned slices;
    if (catalog_is_dose_series(c, st, j) || catalog_is_capture_series(c, st, j))
        return 1;
    if (!m->slices || (j < m->nseries && m->series[j].single))
        return 1;
    memcpy(&slices, (const char *)c->site + m->slices, sizeof slices); /* the site's setting */
    return slices;
}

void catalog_uid(const struct catalog *c, uint32_t k, int j, int i, char *buf, size_t cap)
{
    if (j < 0)
        snprintf(buf, cap, "%s.1.%u", c->site->uid_root, k + 1);
    else if (i < 0)
        snprintf(buf, cap, "%s.1.%u.%d", c->site->uid_root, k + 1, j + 1);
    else
        snprintf(buf, cap, "%s.1.%u.%d.%d", c->site->uid_root, k + 1, j + 1, i + 1);
}

int catalog_parse_uid(const struct catalog *c, const char *uid, uint32_t *k, unsigned *j, unsigned *i)
{
    size_t n = strlen(c->site->uid_root);
    if (strncmp(uid, c->site->uid_root, n) != 0 || strncmp(uid + n, ".1.", 3) != 0)
        return 0;
    unsigned a = 0, b = 0, d = 0;
    char extra;
    int got = sscanf(uid + n + 3, "%u.%u.%u%c", &a, &b, &d, &extra);
    if (got < 1 || got > 3 || a == 0 || (got >= 2 && b == 0) || (got == 3 && d == 0))
        return 0;
    *k = a - 1;
    *j = b ? b - 1 : 0;
    *i = d ? d - 1 : 0;
    return got;
}

static int study_attr(const struct catalog *c, uint32_t k, const struct study *st, uint32_t tag, char *buf, size_t cap)
{
    const struct patient *p = &c->patients[st->patient];
    const struct modality *m = catalog_modality(c, st);
    const struct study_kind *kind = catalog_study_kind(c, k, st);
    unsigned total = 0;
    switch (tag) {
    case CIRR_TAG_PATIENT_NAME: snprintf(buf, cap, "%s", p->name); return 1;
    case CIRR_TAG_PATIENT_ID: snprintf(buf, cap, "%s", p->id); return 1;
    case CIRR_TAG_PATIENT_BIRTH_DATE: snprintf(buf, cap, "%08u", p->birth); return 1;
    case CIRR_TAG_PATIENT_SEX: snprintf(buf, cap, "%c", p->sex); return 1;
    case CIRR_TAG_STUDY_INSTANCE_UID: catalog_uid(c, k, -1, -1, buf, cap); return 1;
    case CIRR_TAG_STUDY_DATE: snprintf(buf, cap, "%08u", st->date); return 1;
    case CIRR_TAG_STUDY_TIME: snprintf(buf, cap, "%06u", st->time); return 1;
    case CIRR_TAG_ACCESSION_NUMBER: snprintf(buf, cap, "A%09u", k + 1); return 1;
    case CIRR_TAG_STUDY_ID: snprintf(buf, cap, "%u", k + 1); return 1;
    case CIRR_TAG_STUDY_DESCRIPTION: snprintf(buf, cap, "%s", kind->description); return 1;
    case CIRR_TAG_REFERRING_PHYSICIAN_NAME: snprintf(buf, cap, "%s", physicians[rng_below(rng_hash(c->site->seed, 5, k, 0), N(physicians))]); return 1;
    case CIRR_TAG_MODALITIES_IN_STUDY:
        snprintf(buf, cap, "%s%s%s", m->code, has_dose_report(c, st) ? "\\SR" : "", st->burned_in ? "\\OT" : "");
        return 1;
    case CIRR_TAG_INSTITUTION_NAME: snprintf(buf, cap, "%s", c->site->institution); return 1;
    case CIRR_TAG_NUMBER_OF_STUDY_RELATED_SERIES: snprintf(buf, cap, "%u", catalog_series_count(c, st)); return 1;
    case CIRR_TAG_NUMBER_OF_STUDY_RELATED_INSTANCES:
        for (unsigned j = 0; j < catalog_series_count(c, st); j++)
            total += catalog_instance_count(c, st, j);
        snprintf(buf, cap, "%u", total);
        return 1;
    case CIRR_TAG_BODY_PART_EXAMINED: snprintf(buf, cap, "%s", kind->body_part); return 1;
    case CIRR_TAG_STATION_NAME: snprintf(buf, cap, "%s%u", m->code, st->device + 1); return 1;
    default: return 0;
    }
}

/* What differs in a dose report or screen capture series from the
 * study's image series. */
static int own_series_attr(const struct catalog *c, const struct study *st, unsigned j, uint32_t tag,
                           char *buf, size_t cap)
{
    int dose = catalog_is_dose_series(c, st, j);
    if (!dose && !catalog_is_capture_series(c, st, j))
        return 0;
    switch (tag) {
    case CIRR_TAG_MODALITY: snprintf(buf, cap, "%s", dose ? "SR" : "OT"); return 1;
    case CIRR_TAG_SERIES_DESCRIPTION: snprintf(buf, cap, "%s", dose ? "DOSE REPORT" : "SCREEN CAPTURE"); return 1;
    default: return 0;
    }
}

int catalog_attr(const struct catalog *c, uint32_t k, const struct study *st, int j, int i,
                 uint32_t tag, char *buf, size_t cap)
{
    const struct modality *m = catalog_modality(c, st);
    if (j >= 0 && own_series_attr(c, st, (unsigned)j, tag, buf, cap))
        return 1;
    if (j >= 0) {
        switch (tag) {
        case CIRR_TAG_SERIES_INSTANCE_UID: catalog_uid(c, k, j, -1, buf, cap); return 1;
        case CIRR_TAG_MODALITY: snprintf(buf, cap, "%s", m->code); return 1;
        case CIRR_TAG_SERIES_NUMBER: snprintf(buf, cap, "%d", j + 1); return 1;
        case CIRR_TAG_SERIES_DESCRIPTION: snprintf(buf, cap, "%s", m->series[(unsigned)j % m->nseries].description); return 1;
        case CIRR_TAG_NUMBER_OF_SERIES_RELATED_INSTANCES: snprintf(buf, cap, "%u", catalog_instance_count(c, st, (unsigned)j)); return 1;
        case CIRR_TAG_SERIES_DATE: snprintf(buf, cap, "%08u", st->date); return 1;
        default: break;
        }
    }
    if (j >= 0 && i >= 0) {
        switch (tag) {
        case CIRR_TAG_SOP_INSTANCE_UID: catalog_uid(c, k, j, i, buf, cap); return 1;
        case CIRR_TAG_INSTANCE_NUMBER: snprintf(buf, cap, "%d", i + 1); return 1;
        case CIRR_TAG_SOP_CLASS_UID: snprintf(buf, cap, "%s", catalog_sop_class(c, st, (unsigned)j)); return 1;
        default: break;
        }
    }
    return study_attr(c, k, st, tag, buf, cap);
}

void catalog_date_range(const struct catalog *c, uint32_t from, uint32_t to, uint32_t *lo, uint32_t *hi)
{
    uint32_t a = 0, b = c->nstudies;
    if (from) { /* first study with date >= from */
        uint32_t l = 0, r = c->nstudies;
        while (l < r) {
            uint32_t m = l + (r - l) / 2;
            if (c->studies[m].date < from) l = m + 1; else r = m;
        }
        a = l;
    }
    if (to) { /* first study with date > to */
        uint32_t l = a, r = c->nstudies;
        while (l < r) {
            uint32_t m = l + (r - l) / 2;
            if (c->studies[m].date <= to) l = m + 1; else r = m;
        }
        b = l;
    }
    *lo = a;
    *hi = b;
}
