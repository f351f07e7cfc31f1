/* maintags.c: see maintags.h. */
#include "maintags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 4096

struct cached {
    char id[64];
    struct json *tags; /* patient + study + series main tags, merged */
};

struct maintags {
    struct cached *series;
    size_t n;
};

struct maintags *maintags_new(void) { return calloc(1, sizeof(struct maintags)); }

static void forget_all(struct maintags *mt)
{
    for (size_t i = 0; i < mt->n; i++)
        json_free(mt->series[i].tags);
    mt->n = 0;
}

void maintags_free(struct maintags *mt)
{
    if (!mt)
        return;
    forget_all(mt);
    free(mt->series);
    free(mt);
}

static const struct json *cached(const struct maintags *mt, const char *id)
{
    for (size_t i = mt->n; i-- > 0;) /* the newest first: a page's instances share a few series */
        if (!strcmp(mt->series[i].id, id))
            return mt->series[i].tags;
    return NULL;
}

#define MAX_CHUNKS 32

/* The items of each answer, in order, moved into one array (NULL when an
 * answer is not an array). The answers are freed. */
static struct json *concatenate(struct json **answers, unsigned n)
{
    struct json *all = json_new(JSON_ARRAY, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (all && (!answers[i] || answers[i]->type != JSON_ARRAY)) {
            json_free(all);
            all = NULL;
        }
        for (size_t k = 0; all && k < answers[i]->n; k++)
            json_append(all, answers[i]->items[k]);
        if (all && answers[i])
            answers[i]->n = 0; /* the items are all's now */
        json_free(answers[i]);
    }
    return all;
}

/* POST /tools/bulk-content for ids at level, in up to o->parallel chunks
 * at once: the answers' items in one array, or NULL. */
static struct json *bulk(const struct orthanc_http *o, const char *level, const char *const *ids, size_t n,
                         char *err, size_t cap)
{
    unsigned chunks = o->parallel < MAX_CHUNKS ? o->parallel : MAX_CHUNKS;
    err[0] = '\0';
    if (chunks > n)
        chunks = n ? (unsigned)n : 1;
    struct strbuf req[MAX_CHUNKS] = {{0}};
    const char *bodies[MAX_CHUNKS] = {0};
    size_t lens[MAX_CHUNKS] = {0}, per = (n + chunks - 1) / chunks;
    long status[MAX_CHUNKS];
    struct json *answers[MAX_CHUNKS];
    for (unsigned c = 0; c < chunks; c++) {
        strbuf_addf(&req[c], "{\"Level\":\"%s\",\"Metadata\":false,\"Resources\":[", level);
        for (size_t i = c * per; i < n && i < (c + 1) * per; i++) /* Orthanc's IDs: hex digits and '-' */
            if (strspn(ids[i], "0123456789abcdef-") == strlen(ids[i]))
                strbuf_addf(&req[c], "%s\"%s\"", req[c].data[req[c].len - 1] == '[' ? "" : ",", ids[i]);
        strbuf_adds(&req[c], "]}");
        bodies[c] = req[c].data;
        lens[c] = req[c].len;
    }
    o->post_many(o->ctx, "/tools/bulk-content", bodies, lens, chunks, status, answers);
    for (unsigned c = 0; c < chunks; c++) {
        strbuf_free(&req[c]);
        if (status[c] != 200)
            snprintf(err, cap, "/tools/bulk-content: %s %ld", status[c] ? "HTTP" : "no answer", status[c]);
    }
    struct json *all = concatenate(answers, chunks);
    if (!all && !*err)
        snprintf(err, cap, "/tools/bulk-content: not a JSON array");
    return all;
}

/* Copy every member of from (an object) into to. */
static void merge(struct json *to, const struct json *from)
{
    for (size_t i = 0; from && from->type == JSON_OBJECT && i < from->n; i++)
        json_put(to, from->keys[i], json_copy(from->items[i]));
}

static const char *text_or_empty(const struct json *j, const char *key)
{
    const char *t = json_text(json_get(j, key));
    return t ? t : "";
}

/* Whether id is among list[0..n). */
static int listed(const char *const *list, size_t n, const char *id)
{
    for (size_t i = n; i-- > 0;) /* the newest first: neighbours share a parent */
        if (!strcmp(list[i], id))
            return 1;
    return 0;
}

/* The distinct values of key in the answers' items, each once (a page's
 * instances share a few series), leaving out the series mt has cached
 * (mt: NULL for none); malloc'd, the strings are the items'. NULL when
 * out of memory. */
static const char **parents(const struct maintags *mt, const struct json *items, const char *key, size_t *n)
{
    const char **out = calloc(items->n + 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < items->n; i++) {
        const char *parent = json_text(json_get(items->items[i], key));
        if (parent && !(mt && cached(mt, parent)) && !listed(out, *n, parent))
            out[(*n)++] = parent;
    }
    return out;
}

/* Fetch and cache the series (and their studies) that ids name. */
static int fill_cache(struct maintags *mt, const struct orthanc_http *o, const char *const *ids, size_t n, char *err,
                      size_t cap)
{
    struct json *series = bulk(o, "Series", ids, n, err, cap);
    if (!series)
        return -1;
    size_t nstudies;
    const char **studies = parents(NULL, series, "ParentStudy", &nstudies);
    struct json *found = studies ? bulk(o, "Study", studies, nstudies, err, cap) : NULL;
    free(studies);
    if (!found) {
        json_free(series);
        return -1;
    }
    if (mt->n + series->n > CACHE_MAX)
        forget_all(mt);
    struct cached *grown = realloc(mt->series, (mt->n + series->n) * sizeof *grown);
    for (size_t i = 0; grown && i < series->n; i++) {
        const struct json *s = series->items[i], *study = NULL;
        const char *sid = json_text(json_get(s, "ID")), *parent = json_text(json_get(s, "ParentStudy"));
        for (size_t k = 0; k < found->n && parent && !study; k++)
            if (!strcmp(text_or_empty(found->items[k], "ID"), parent))
                study = found->items[k];
        if (!sid || strlen(sid) >= sizeof grown->id)
            continue;
        struct cached *c = &grown[mt->n++];
        snprintf(c->id, sizeof c->id, "%s", sid);
        c->tags = json_new(JSON_OBJECT, NULL);
        merge(c->tags, json_get(study, "PatientMainDicomTags"));
        merge(c->tags, json_get(study, "MainDicomTags"));
        merge(c->tags, json_get(s, "MainDicomTags"));
    }
    if (grown)
        mt->series = grown;
    json_free(series);
    json_free(found);
    return grown ? 0 : -1;
}

int maintags_read(struct maintags *mt, const struct orthanc_http *o, const char *const *ids, size_t n,
                  struct json **out, char *err, size_t cap)
{
    struct json *inst = bulk(o, "Instance", ids, n, err, cap);
    if (!inst)
        return -1;
    size_t nmissing;
    const char **missing = parents(mt, inst, "ParentSeries", &nmissing);
    int rc = !missing ? -1 : nmissing ? fill_cache(mt, o, missing, nmissing, err, cap) : 0;
    free(missing);
    /* Orthanc answers in the order asked, leaving out what it no longer
     * has: one pass, with a search only when the order differs. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        const struct json *it = NULL;
        for (size_t tries = 0; rc == 0 && tries < inst->n && !it; tries++, k = (k + 1) % inst->n)
            if (!strcmp(text_or_empty(inst->items[k], "ID"), ids[i]))
                it = inst->items[k];
        const struct json *parent = it ? cached(mt, text_or_empty(it, "ParentSeries")) : NULL;
        if (!parent)
            continue; /* an instance deleted since has no answer: it stays NULL */
        out[i] = json_new(JSON_OBJECT, NULL);
        merge(out[i], parent);
        merge(out[i], json_get(it, "MainDicomTags"));
    }
    json_free(inst);
    return rc;
}
