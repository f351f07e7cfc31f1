/* query.c: C-FIND over the generated catalog and the stored instances, at
 * PATIENT, STUDY, SERIES and IMAGE level, in Patient and Study Root. */
#include "log.h"
#include "match.h"
#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 64
#define LEVEL_TAG CIRR_TAG_QUERY_RETRIEVE_LEVEL

struct key {
    uint32_t tag;
    char vr[4];
    char value[256];
};

struct query {
    struct key keys[MAX_KEYS];
    unsigned n;
    char level[16];
    unsigned max_answers; /* MOCK_MAX_ANSWERS: the answers stop there (0: no cap) */
};

/* One candidate: a generated study/series/instance or a stored instance. */
struct candidate {
    const struct catalog *c;
    uint32_t k;
    const struct study *st;
    int j, i;
    const struct stored *stored;
};

static int attr(const struct candidate *x, uint32_t tag, char *buf, size_t cap)
{
    return x->stored ? store_attr(x->stored, tag, buf, cap) : catalog_attr(x->c, x->k, x->st, x->j, x->i, tag, buf, cap);
}

static int collect(uint32_t tag, const char *vr, const char *value, void *ud)
{
    struct query *q = ud;
    if (tag == LEVEL_TAG) {
        snprintf(q->level, sizeof q->level, "%s", value ? value : "");
        return 0;
    }
    if (tag == CIRR_TAG_SPECIFIC_CHARACTER_SET)
        return 0;
    if (q->n == MAX_KEYS || !value)
        return 0; /* sequences are not matched */
    struct key *k = &q->keys[q->n++];
    k->tag = tag;
    snprintf(k->vr, sizeof k->vr, "%s", vr);
    snprintf(k->value, sizeof k->value, "%s", value);
    return 0;
}

static int matches(const struct query *q, const struct candidate *x)
{
    char buf[256];
    for (unsigned n = 0; n < q->n; n++)
        if (q->keys[n].value[0] && attr(x, q->keys[n].tag, buf, sizeof buf) &&
            !match_value(q->keys[n].vr, q->keys[n].value, buf))
            return 0;
    return 1;
}

/* Send x when it matches; returns -1 when the peer cancelled or the answer cap was reached. */
static int offer(const struct query *q, const struct candidate *x, cirr_dicom_find_sink *sink, unsigned *sent)
{
    if (q->max_answers && *sent >= q->max_answers)
        return -1; /* capped: the rest is left out, and the answer still ends in success */
    if (!matches(q, x))
        return 0;
    cirr_dicom_dataset *rsp;
    if (cirr_dicom_dataset_new(&rsp) != CIRR_DICOM_OK)
        return -1;
    char buf[256];
    cirr_dicom_set_string(rsp, LEVEL_TAG, q->level);
    for (unsigned n = 0; n < q->n; n++)
        cirr_dicom_set_string(rsp, q->keys[n].tag, attr(x, q->keys[n].tag, buf, sizeof buf) ? buf : "");
    cirr_dicom_status s = cirr_dicom_find_send(sink, rsp);
    cirr_dicom_dataset_free(rsp);
    (*sent)++;
    return s == CIRR_DICOM_OK ? 0 : -1;
}

static const char *key_value(const struct query *q, uint32_t tag)
{
    for (unsigned n = 0; n < q->n; n++)
        if (q->keys[n].tag == tag)
            return q->keys[n].value;
    return "";
}

static int has_wildcard(const char *s) { return strchr(s, '*') || strchr(s, '?') || strchr(s, '\\'); }

static int find_studies(struct mock *m, const struct query *q, cirr_dicom_find_sink *sink, unsigned *sent)
{
    const struct catalog *c = &m->catalog;
    struct candidate x = {c, 0, NULL, -1, -1, NULL};
    const char *pid = key_value(q, CIRR_TAG_PATIENT_ID);
    const char *uid = key_value(q, CIRR_TAG_STUDY_INSTANCE_UID);
    uint32_t k;
    unsigned j, i, p;
    if (*pid && !has_wildcard(pid)) { /* by patient: a few studies */
        if (sscanf(pid, "MRN%8u", &p) == 1 && p >= 1 && p <= c->site->patients)
            for (uint32_t n = c->patient_first[p - 1]; n < c->patient_first[p]; n++) {
                x.k = c->patient_studies[n];
                x.st = &c->studies[x.k];
                if (offer(q, &x, sink, sent) < 0)
                    return -1;
            }
        return 0;
    }
    if (*uid && !strchr(uid, '*') && !strchr(uid, '?')) { /* by UID (or a list) */
        char list[256];
        snprintf(list, sizeof list, "%s", uid);
        for (char *save = NULL, *u = strtok_r(list, "\\", &save); u; u = strtok_r(NULL, "\\", &save))
            if (catalog_parse_uid(c, u, &k, &j, &i) == 1 && k < c->nstudies) {
                x.k = k;
                x.st = &c->studies[k];
                if (offer(q, &x, sink, sent) < 0)
                    return -1;
            }
        return 0;
    }
    unsigned from = 0, to = 0;
    uint32_t lo = 0, hi = c->nstudies;
    if (match_date_range(key_value(q, CIRR_TAG_STUDY_DATE), &from, &to) == 0 && (from || to))
        catalog_date_range(c, from, to, &lo, &hi);
    for (x.k = lo; x.k < hi; x.k++) {
        x.st = &c->studies[x.k];
        if (offer(q, &x, sink, sent) < 0)
            return -1;
    }
    return 0;
}

static int find_patients(struct mock *m, const struct query *q, cirr_dicom_find_sink *sink, unsigned *sent)
{
    const struct catalog *c = &m->catalog;
    struct candidate x = {c, 0, NULL, -1, -1, NULL};
    for (uint32_t p = 0; p < c->site->patients; p++) {
        if (c->patient_first[p] == c->patient_first[p + 1])
            continue;
        x.k = c->patient_studies[c->patient_first[p]];
        x.st = &c->studies[x.k];
        if (offer(q, &x, sink, sent) < 0)
            return -1;
    }
    return 0;
}

/* SERIES and IMAGE level need the study (and series) they are under. */
static int find_below(struct mock *m, const struct query *q, int image, cirr_dicom_find_sink *sink, unsigned *sent)
{
    const struct catalog *c = &m->catalog;
    uint32_t k;
    unsigned j, i;
    if (catalog_parse_uid(c, key_value(q, CIRR_TAG_STUDY_INSTANCE_UID), &k, &j, &i) != 1 || k >= c->nstudies)
        return 0;
    struct candidate x = {c, k, &c->studies[k], -1, -1, NULL};
    unsigned nseries = catalog_series_count(c, x.st);
    for (x.j = 0; x.j < (int)nseries; x.j++) {
        if (!image) {
            if (offer(q, &x, sink, sent) < 0)
                return -1;
            continue;
        }
        char uid[96];
        catalog_uid(c, k, x.j, -1, uid, sizeof uid);
        if (!match_value("UI", key_value(q, CIRR_TAG_SERIES_INSTANCE_UID), uid))
            continue;
        unsigned n = catalog_instance_count(c, x.st, (unsigned)x.j);
        for (x.i = 0; x.i < (int)n; x.i++)
            if (offer(q, &x, sink, sent) < 0)
                return -1;
        x.i = -1;
    }
    return 0;
}

/* Stored instances: one answer per patient, study, series or instance. */
static int find_stored(struct mock *m, const struct query *q, cirr_dicom_find_sink *sink, unsigned *sent)
{
    struct stored *items;
    size_t n = store_snapshot(&m->store, &items);
    int rc = 0;
    for (size_t a = 0; a < n && rc == 0; a++) {
        int dup = 0;
        for (size_t b = 0; b < a && !dup; b++) {
            if (!strcmp(q->level, "PATIENT"))
                dup = !strcmp(items[a].patient_id, items[b].patient_id);
            else if (!strcmp(q->level, "STUDY"))
                dup = !strcmp(items[a].study_uid, items[b].study_uid);
            else if (!strcmp(q->level, "SERIES"))
                dup = !strcmp(items[a].series_uid, items[b].series_uid);
        }
        struct candidate x = {NULL, 0, NULL, -1, -1, &items[a]};
        if (!dup)
            rc = offer(q, &x, sink, sent);
    }
    free(items);
    return rc;
}

/* The first key that cannot be matched (a DA or TM key that is not a date,
 * time or range), or NULL: such a query is refused, not answered with
 * every study. */
static const struct key *unmatchable_key(const struct query *q)
{
    for (unsigned n = 0; n < q->n; n++)
        if (match_key_check(q->keys[n].vr, q->keys[n].value) < 0)
            return &q->keys[n];
    return NULL;
}

static uint16_t refuse_key(const cirr_dicom_peer *peer, const struct key *k)
{
    char aet[LOG_ESCAPED_SIZE(16)], value[LOG_ESCAPED_SIZE(sizeof k->value)];
    log_msg(LOG_WARN, NULL, "C-FIND from %s: key (%04x,%04x) %s '%s' is not a valid %s or range; answered 0xA900",
            log_escape(aet, sizeof aet, peer->calling_aet), (unsigned)(k->tag >> 16), (unsigned)(k->tag & 0xffff),
            k->vr, log_escape(value, sizeof value, k->value), strcmp(k->vr, "DA") ? "time" : "date");
    return 0xA900; /* identifier does not match SOP class */
}

/* Answer a collected query: its matches through sink, then the final
 * status (refusals are logged). */
static uint16_t answer(struct mock *m, const cirr_dicom_peer *peer, const struct query *q,
                       cirr_dicom_find_sink *sink)
{
    int patient = !strcmp(q->level, "PATIENT"), study = !strcmp(q->level, "STUDY");
    int series = !strcmp(q->level, "SERIES"), image = !strcmp(q->level, "IMAGE");
    unsigned sent = 0;
    if (!patient && !study && !series && !image) {
        char aet[LOG_ESCAPED_SIZE(16)], level[LOG_ESCAPED_SIZE(sizeof q->level)];
        log_msg(LOG_WARN, NULL, "C-FIND from %s: no valid Query/Retrieve Level ('%s'); answered 0xA900",
                log_escape(aet, sizeof aet, peer->calling_aet), log_escape(level, sizeof level, q->level));
        return 0xA900; /* identifier does not match SOP class */
    }
    const struct key *bad = unmatchable_key(q);
    if (bad)
        return refuse_key(peer, bad);
    int rc = patient ? find_patients(m, q, sink, &sent)
             : study ? find_studies(m, q, sink, &sent)
                     : find_below(m, q, image, sink, &sent);
    if (rc == 0)
        find_stored(m, q, sink, &sent);
    return 0x0000;
}

uint16_t mock_find(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                   cirr_dicom_find_sink *sink, void *ud)
{
    struct mock *m = ud;
    struct query *q = calloc(1, sizeof *q);
    (void)sop_class;
    if (!q)
        return 0xA700;
    m->finds++;
    m->last_activity = time(NULL);
    cirr_dicom_iterate(query, collect, q);
    q->max_answers = m->site.max_answers;
    uint16_t status = answer(m, peer, q, sink);
    free(q);
    return status;
}
