/* pull.c: C-MOVE and C-GET: which instances a query names. Generated
 * instances are built when sent, one at a time, so memory stays small. */
#include "array.h"
#include "generate.h"
#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ref {
    uint32_t k;
    uint16_t j, i;
    const char *sop_class;
    char *path; /* stored instance, or NULL */
};

struct pull {
    struct mock *m;
    struct ref *refs;
    size_t n, cap;
};

static int add(struct pull *p, struct ref r)
{
    struct ref *refs = array_grow(p->refs, &p->cap, p->n + 1, sizeof *refs, 256);
    if (!refs)
        return -1;
    p->refs = refs;
    p->refs[p->n++] = r;
    return 0;
}

/* All instances of study k, or of series j (j >= 0), or instance i. */
static int add_generated(struct pull *p, uint32_t k, int j, int i)
{
    const struct catalog *c = &p->m->catalog;
    const struct study *st = &c->studies[k];
    unsigned nseries = catalog_series_count(c, st);
    for (unsigned s = 0; s < nseries; s++) {
        if (j >= 0 && (unsigned)j != s)
            continue;
        unsigned n = catalog_instance_count(c, st, s);
        for (unsigned x = 0; x < n; x++)
            if ((i < 0 || (unsigned)i == x) &&
                add(p, (struct ref){k, (uint16_t)s, (uint16_t)x, catalog_sop_class(c, st, s), NULL}) < 0)
                return -1;
    }
    return 0;
}

static void field(const cirr_dicom_dataset *q, uint32_t tag, char *buf, size_t cap)
{
    if (cirr_dicom_get_string(q, tag, buf, cap) != CIRR_DICOM_OK)
        buf[0] = '\0';
}

/* Add what each UID in list names at this depth (1 study, 2 series, 3 instance). */
static int add_uids(struct pull *p, const char *list, int depth)
{
    const struct catalog *c = &p->m->catalog;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *u = strtok_r(copy, "\\", &save); u; u = strtok_r(NULL, "\\", &save)) {
        uint32_t k;
        unsigned j, i;
        if (catalog_parse_uid(c, u, &k, &j, &i) == depth && k < c->nstudies &&
            add_generated(p, k, depth >= 2 ? (int)j : -1, depth == 3 ? (int)i : -1) < 0)
            return -1;
    }
    return 0;
}

static int add_stored(struct pull *p, uint32_t tag, const char *list)
{
    struct stored *items;
    size_t n = store_snapshot(&p->m->store, &items);
    char buf[128];
    for (size_t a = 0; a < n; a++) {
        if (!store_attr(&items[a], tag, buf, sizeof buf) || !*list)
            continue;
        int hit = 0;
        for (const char *s = list; *s && !hit;) {
            size_t len = strcspn(s, "\\");
            hit = len == strlen(buf) && strncmp(s, buf, len) == 0;
            s += len + (s[len] == '\\');
        }
        if (hit) {
            /* the stored copy's class, kept with its path (freed by release) */
            size_t len = strlen(items[a].path) + 1;
            char *path = malloc(len + strlen(items[a].sop_class) + 1);
            if (path) {
                memcpy(path, items[a].path, len);
                strcpy(path + len, items[a].sop_class);
            }
            if (!path || add(p, (struct ref){0, 0, 0, path + len, path}) < 0) {
                free(path);
                free(items);
                return -1;
            }
        }
    }
    free(items);
    return 0;
}

static cirr_dicom_status fetch(void *ctx, size_t n, cirr_dicom_dataset **out)
{
    struct pull *p = ctx;
    struct ref *r = &p->refs[n];
    if (r->path)
        return cirr_dicom_dataset_read(r->path, out);
    p->m->retrieved++;
    return generate_instance(&p->m->catalog, r->k, &p->m->catalog.studies[r->k], r->j, r->i, out);
}

static const char *sop_class(void *ctx, size_t n)
{
    return ((struct pull *)ctx)->refs[n].sop_class;
}

static void release(void *ctx)
{
    struct pull *p = ctx;
    for (size_t n = 0; n < p->n; n++)
        free(p->refs[n].path);
    free(p->refs);
    free(p);
}

uint16_t mock_retrieve(const cirr_dicom_peer *peer, const char *cls, const cirr_dicom_dataset *query,
                       cirr_dicom_instances *out, void *ud)
{
    struct mock *m = ud;
    (void)peer;
    (void)cls;
    m->last_activity = time(NULL);
    char level[16], uids[4096];
    field(query, CIRR_TAG_QUERY_RETRIEVE_LEVEL, level, sizeof level);
    struct pull *p = calloc(1, sizeof *p);
    if (!p)
        return 0xA702;
    p->m = m;
    int rc = 0;
    if (!strcmp(level, "STUDY") || !strcmp(level, "PATIENT")) {
        field(query, CIRR_TAG_STUDY_INSTANCE_UID, uids, sizeof uids);
        rc = add_uids(p, uids, 1);
        if (rc == 0)
            rc = add_stored(p, CIRR_TAG_STUDY_INSTANCE_UID, uids);
    } else if (!strcmp(level, "SERIES")) {
        field(query, CIRR_TAG_SERIES_INSTANCE_UID, uids, sizeof uids);
        rc = add_uids(p, uids, 2);
        if (rc == 0)
            rc = add_stored(p, CIRR_TAG_SERIES_INSTANCE_UID, uids);
    } else if (!strcmp(level, "IMAGE")) {
        field(query, CIRR_TAG_SOP_INSTANCE_UID, uids, sizeof uids);
        rc = add_uids(p, uids, 3);
        if (rc == 0)
            rc = add_stored(p, CIRR_TAG_SOP_INSTANCE_UID, uids);
    } else {
        release(p);
        return 0xA900; /* no or unknown level */
    }
    if (rc < 0) {
        release(p);
        return 0xA702;
    }
    *out = (cirr_dicom_instances){.count = p->n, .fetch = fetch, .sop_class = sop_class, .release = release, .ctx = p};
    return 0x0000;
}
