/* pullstudy.c: find, get, de-identify, send: one row of the worklist. */
#include "pullstudy.h"

#include "anonfile.h"
#include "pullmove.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STUDY_ROOT_FIND "1.2.840.10008.5.1.4.1.2.2.1"
#define STUDY_ROOT_GET "1.2.840.10008.5.1.4.1.2.2.3"
#define STUDY_ROOT_MOVE "1.2.840.10008.5.1.4.1.2.2.2"
#define MAX_STUDIES 64

/* The storage classes a C-GET proposes to take (we are the SCP of its
 * C-STORE sub-operations). */
static const char *const storage_classes[] = {
    "1.2.840.10008.5.1.4.1.1.2",     "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.4",
    "1.2.840.10008.5.1.4.1.1.4.1",   "1.2.840.10008.5.1.4.1.1.1",   "1.2.840.10008.5.1.4.1.1.1.1",
    "1.2.840.10008.5.1.4.1.1.1.1.1", "1.2.840.10008.5.1.4.1.1.7",   "1.2.840.10008.5.1.4.1.1.6.1",
    "1.2.840.10008.5.1.4.1.1.3.1",   "1.2.840.10008.5.1.4.1.1.88.22", "1.2.840.10008.5.1.4.1.1.88.33",
    "1.2.840.10008.5.1.4.1.1.88.67", "1.2.840.10008.5.1.4.1.1.128", "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.481.1", NULL,
};

struct found {
    char uids[MAX_STUDIES][65], patient_id[65];
    unsigned n;
};

struct getting {
    const struct anon_conf *ac;
    const char *out_dir;
    struct row_result *r;
    char **written; /* paths, for the destination peer */
    size_t n, cap;
};

static void set_reason(struct row_result *r, const char *status, const char *what, const char *detail)
{
    snprintf(r->status, sizeof r->status, "%s", status);
    snprintf(r->reason, sizeof r->reason, "%s%s%s", what, *detail ? ": " : "", detail);
    for (char *c = r->reason; *c; c++) /* the journal is one line a row, tab-separated */
        if (*c == '\t' || *c == '\n' || *c == '\r')
            *c = ' ';
}

static cirr_dicom_peer_config peer_config(const struct pull_conf *pc, const struct peer *p)
{
    cirr_dicom_peer_config cfg = {p->host, p->port, p->aet, pc->aet, pc->timeout, pc->timeout, 0};
    return cfg;
}

static int on_match(const cirr_dicom_dataset *match, void *ud)
{
    struct found *f = ud;
    if (f->n < MAX_STUDIES &&
        cirr_dicom_get_string(match, CIRR_TAG_STUDY_INSTANCE_UID, f->uids[f->n], sizeof f->uids[0]) == CIRR_DICOM_OK &&
        *f->uids[f->n]) {
        if (cirr_dicom_get_string(match, CIRR_TAG_PATIENT_ID, f->patient_id, sizeof f->patient_id) != CIRR_DICOM_OK)
            f->patient_id[0] = '\0';
        f->n++;
    }
    return 0;
}

/* C-FIND at the study level with the row's keys. */
static int find_studies(const struct pull_conf *pc, const struct worklist_row *row, struct found *f,
                        struct row_result *r)
{
    static const char *const classes[] = {STUDY_ROOT_FIND, NULL};
    cirr_dicom_peer_config cfg = peer_config(pc, &pc->source);
    cirr_dicom_scu *scu;
    cirr_dicom_dataset *q;
    uint16_t status = 0;
    if (cirr_dicom_scu_open(&cfg, classes, NULL, &scu) != CIRR_DICOM_OK) {
        set_reason(r, "failed", "cannot query the source", cirr_dicom_last_error());
        return -1;
    }
    cirr_dicom_status s = cirr_dicom_dataset_new(&q);
    const struct { uint32_t tag; const char *value; } keys[] = {
        {CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY"}, {CIRR_TAG_ACCESSION_NUMBER, row->accession},
        {CIRR_TAG_PATIENT_ID, row->patient_id},   {CIRR_TAG_STUDY_DATE, row->study_date},
        {CIRR_TAG_STUDY_INSTANCE_UID, ""},
    };
    for (size_t i = 0; s == CIRR_DICOM_OK && i < sizeof keys / sizeof keys[0]; i++)
        s = cirr_dicom_set_string(q, keys[i].tag, keys[i].value);
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_scu_find(scu, STUDY_ROOT_FIND, q, on_match, f, &status);
    cirr_dicom_dataset_free(q);
    cirr_dicom_scu_close(scu);
    if (s != CIRR_DICOM_OK || (status != 0x0000 && status != 0xFF00)) {
        set_reason(r, "failed", "C-FIND failed", s != CIRR_DICOM_OK ? cirr_dicom_last_error() : "peer status");
        return -1;
    }
    return 0;
}

/* One instance retrieved (in transfer syntax ts): de-identified and
 * written, or quarantined; its status for the peer. */
static uint16_t take_instance(cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    struct getting *g = ud;
    char written[PATH_MAX], reason[512];
    enum anon_result res = anonfile_dataset(ds, ts, g->out_dir, &g->ac->key, &g->ac->options, written,
                                            sizeof written, reason, sizeof reason);
    if (res == ANON_QUARANTINED) {
        if (!g->r->quarantined++ && !strcmp(g->r->status, "pulled"))
            set_reason(g->r, "quarantined", "an instance was quarantined", reason);
        return 0x0000; /* taken: it is kept back on purpose */
    }
    char **grown = g->written;
    if (res == ANON_DONE && g->n == g->cap && (grown = realloc(g->written, (g->cap * 2 + 16) * sizeof *grown))) {
        g->written = grown;
        g->cap = g->cap * 2 + 16;
    }
    char *copy = res == ANON_DONE && grown ? strdup(written) : NULL;
    if (!copy) {
        g->r->failed++;
        set_reason(g->r, "failed", "an instance failed", res == ANON_DONE ? "out of memory" : reason);
        return 0xA700;
    }
    g->written[g->n++] = copy;
    g->r->pulled++;
    return 0x0000;
}

static uint16_t on_instance(cirr_dicom_dataset *ds, void *ud)
{
    char ts[80];
    if (cirr_dicom_dataset_ts(ds, ts, sizeof ts) != CIRR_DICOM_OK)
        snprintf(ts, sizeof ts, "%s", CIRR_DICOM_TS_EXPLICIT_LE);
    return take_instance(ds, ts, ud);
}

/* The study-level identifier of one study. */
static cirr_dicom_status study_query(const char *uid, cirr_dicom_dataset **q)
{
    cirr_dicom_status s = cirr_dicom_dataset_new(q);
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(*q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(*q, CIRR_TAG_STUDY_INSTANCE_UID, uid);
    return s;
}

/* A retrieve that did not end well: the instances the peer counted failed
 * beyond those take_instance counted already (ours), or at least one. */
static void retrieve_failed(struct getting *g, const char *what, cirr_dicom_status s, unsigned failed,
                            unsigned ours, uint16_t status)
{
    char detail[256];
    if (s != CIRR_DICOM_OK)
        snprintf(detail, sizeof detail, "%s", cirr_dicom_last_error());
    else
        snprintf(detail, sizeof detail, "peer status 0x%04x, %u failed", status, failed);
    g->r->failed += failed > ours ? failed - ours : ours ? 0 : 1;
    set_reason(g->r, "failed", what, detail);
}

/* Instances of the row handled so far, whatever became of them. */
static unsigned taken(const struct row_result *r)
{
    return r->pulled + r->quarantined + r->failed;
}

/* C-MOVE of one study to ourselves (PULL_AET): its instances arrive on
 * pullmove's SCP, which hands them to take_instance. */
static void move_study(const struct pull_conf *pc, const char *uid, struct getting *g)
{
    static const char *const classes[] = {STUDY_ROOT_MOVE, NULL};
    cirr_dicom_peer_config cfg = peer_config(pc, &pc->source);
    cirr_dicom_scu *scu = NULL;
    cirr_dicom_dataset *q = NULL;
    unsigned completed = 0, failed = 0, before = g->r->failed, arrived = taken(g->r);
    uint16_t status = 0;
    pullmove_expect(uid, take_instance, g);
    cirr_dicom_status s = cirr_dicom_scu_open(&cfg, classes, NULL, &scu);
    if (s == CIRR_DICOM_OK && (s = study_query(uid, &q)) == CIRR_DICOM_OK)
        s = cirr_dicom_scu_move(scu, STUDY_ROOT_MOVE, q, pc->aet, &completed, &failed, &status);
    cirr_dicom_dataset_free(q);
    cirr_dicom_scu_close(scu);
    pullmove_done(uid);
    arrived = taken(g->r) - arrived;
    if (s != CIRR_DICOM_OK || failed || (status != 0x0000 && status != 0xB000)) {
        retrieve_failed(g, "C-MOVE failed", s, failed, g->r->failed - before, status);
    } else if (arrived < completed) { /* moved elsewhere: the source's entry for PULL_AET is wrong */
        char detail[160];
        snprintf(detail, sizeof detail, "the source moved %u instances, %u arrived on PULL_PORT", completed, arrived);
        g->r->failed += completed - arrived;
        set_reason(g->r, "failed", "C-MOVE went elsewhere", detail);
    }
}

/* C-GET of one study into the folder. */
static void get_study(const struct pull_conf *pc, const char *uid, struct getting *g)
{
    cirr_dicom_peer_config cfg = peer_config(pc, &pc->source);
    cirr_dicom_scu *scu = NULL;
    cirr_dicom_dataset *q = NULL;
    unsigned completed = 0, failed = 0, before = g->r->failed;
    uint16_t status = 0;
    cirr_dicom_status s = cirr_dicom_scu_open_get(&cfg, storage_classes, &scu);
    if (s == CIRR_DICOM_OK && (s = study_query(uid, &q)) == CIRR_DICOM_OK)
        s = cirr_dicom_scu_get(scu, STUDY_ROOT_GET, q, on_instance, g, &completed, &failed, &status);
    cirr_dicom_dataset_free(q);
    cirr_dicom_scu_close(scu);
    if (s != CIRR_DICOM_OK || failed || (status != 0x0000 && status != 0xB000))
        retrieve_failed(g, "C-GET failed", s, failed, g->r->failed - before, status);
}

/* The written files to the destination peer, over one association. */
static void send_on(const struct pull_conf *pc, struct getting *g)
{
    cirr_dicom_peer_config cfg = peer_config(pc, &pc->dest);
    unsigned stored = 0, failed = 0;
    if (cirr_dicom_scu_store_files(&cfg, (const char *const *)g->written, g->n, &stored, &failed) != CIRR_DICOM_OK ||
        failed || stored != g->n) {
        g->r->failed += failed ? failed : (unsigned)(g->n - stored);
        set_reason(g->r, "failed", "the destination did not take every instance", cirr_dicom_last_error());
    }
}

void pull_row(const struct pull_conf *pc, const struct anon_conf *ac, const char *out_dir,
              const struct worklist_row *row, struct row_result *r, char *keys, size_t cap)
{
    struct found f;
    struct getting g = {ac, out_dir, r, NULL, 0, 0};
    memset(&f, 0, sizeof f);
    memset(r, 0, sizeof *r);
    r->line = row->line;
    set_reason(r, "pulled", "", "");
    if (find_studies(pc, row, &f, r) == 0 && f.n == 0)
        set_reason(r, "failed", "no study found", "");
    r->found = f.n;
    for (unsigned i = 0; i < f.n; i++)
        (pc->move ? move_study : get_study)(pc, f.uids[i], &g);
    if (pc->has_dest && g.n && strcmp(r->status, "failed")) /* quarantined instances are not among them */
        send_on(pc, &g);
    char token[ANON_TOKEN_SIZE] = "";
    if (*f.patient_id)
        anon_patient_token(&ac->key, f.patient_id, token);
    snprintf(keys, cap, "%u,%s,%s,%s,%s,%s\n", row->line, row->accession, row->patient_id, row->study_date,
             token, r->status);
    for (size_t i = 0; i < g.n; i++)
        free(g.written[i]);
    free(g.written);
}
