/* changes.c: see changes.h. */
#include "changes.h"

#include "httpc.h"
#include "log.h"
#include "maintags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARALLEL 32

/* The next page of /changes, asked while this page's tags are read. */
struct next_page {
    CURL *easy;
    struct strbuf body;
    unsigned long long since;
    enum { NEXT_NONE, NEXT_ASKED, NEXT_ANSWERED } state;
    long status;
};

struct changes_reader {
    struct watcher *w;
    const struct route *route;
    CURL *easy[MAX_PARALLEL];
    struct strbuf bodies[MAX_PARALLEL];
    CURLM *multi;
    unsigned parallel;
    struct next_page next;
    struct maintags *main_tags;          /* WATCH_ORTHANC_TAGS=main (instances), else NULL */
};

const char *changes_type(enum source_kind k)
{
    return k == SOURCE_ORTHANC_INSTANCES ? "NewInstance" : k == SOURCE_ORTHANC_SERIES ? "StableSeries" : "StableStudy";
}

static void tags_path(enum source_kind k, const char *id, char *buf, size_t cap)
{
    if (k == SOURCE_ORTHANC_INSTANCES)
        snprintf(buf, cap, "/instances/%s/simplified-tags", id);
    else
        snprintf(buf, cap, "/%s/%s/shared-tags?simplify", k == SOURCE_ORTHANC_SERIES ? "series" : "studies", id);
}

/* A finished transfer of the multi handle: the next page's, or one of
 * request_many's (status[i], done[i]); how many of those it finished. */
static unsigned finished(struct changes_reader *c, CURLMsg *m, unsigned n, long *status, int *done)
{
    char err[256];
    if (m->msg != CURLMSG_DONE)
        return 0;
    if (m->easy_handle == c->next.easy) {
        c->next.status = httpc_status(c->next.easy, m->data.result, err, sizeof err);
        c->next.state = NEXT_ANSWERED;
        curl_multi_remove_handle(c->multi, c->next.easy);
        return 0;
    }
    for (unsigned i = 0; i < n; i++)
        if (m->easy_handle == c->easy[i] && !done[i]) {
            status[i] = httpc_status(c->easy[i], m->data.result, err, sizeof err);
            done[i] = 1;
            return 1;
        }
    return 0;
}

/* Run the multi handle until request_many's n transfers are done (n = 0:
 * until the next page is answered). */
static void run_multi(struct changes_reader *c, unsigned n, long *status, int *done)
{
    unsigned pending = n;
    int running, left;
    while (n ? pending > 0 : c->next.state == NEXT_ASKED) {
        if (curl_multi_perform(c->multi, &running) != CURLM_OK)
            break;
        for (CURLMsg *m; (m = curl_multi_info_read(c->multi, &left));)
            pending -= finished(c, m, n, status, done);
        if (n ? pending > 0 : c->next.state == NEXT_ASKED)
            curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
    }
}

/* Requests to paths[0..n) at once: GETs, or POSTs of bodies[i] (lens[i]
 * bytes) when bodies is not NULL; status[i] is each one's HTTP status (0:
 * failed), its answer in c->bodies[i]. */
static void request_many(struct changes_reader *c, char paths[][160], const char *const *bodies, const size_t *lens,
                         unsigned n, long *status)
{
    char url[1024];
    int done[MAX_PARALLEL] = {0};
    for (unsigned i = 0; i < n; i++) {
        if (snprintf(url, sizeof url, "%s%s", c->w->conf.orthanc_url, paths[i]) >= (int)sizeof url)
            url[0] = '\0'; /* cannot happen: WATCH_ORTHANC_URL is at most 500 characters */
        httpc_prepare(c->easy[i], url, NULL, bodies ? bodies[i] : NULL, bodies ? lens[i] : 0, &c->bodies[i]);
        curl_multi_add_handle(c->multi, c->easy[i]);
        status[i] = 0;
    }
    run_multi(c, n, status, done);
    for (unsigned i = 0; i < n; i++)
        curl_multi_remove_handle(c->multi, c->easy[i]);
}

/* Answer i of request_many as item's tags: 0 (tags, or none for a 404:
 * deleted before we read it), or -1 (logged). */
static int take_answer(struct changes_reader *c, unsigned i, long status, struct changes_item *item)
{
    if (status == 404)
        return 0;
    item->tags = status == 200 ? json_parse(c->bodies[i].data ? c->bodies[i].data : "", c->bodies[i].len) : NULL;
    if (!item->tags || item->tags->type != JSON_OBJECT) {
        char esc[LOG_ESCAPED_SIZE(64)];
        log_msg(LOG_WARN, c->route->name, "cannot read the tags of %s (HTTP %ld)",
                log_escape(esc, sizeof esc, item->id), status);
        return -1;
    }
    return 0;
}

/* Every item's own tags, WATCH_ORTHANC_PARALLEL requests at a time. */
static int read_tags(struct changes_reader *c, struct changes_item *items, size_t n)
{
    char paths[MAX_PARALLEL][160];
    long status[MAX_PARALLEL];
    for (size_t i = 0; i < n; i += c->parallel) {
        unsigned k = n - i < c->parallel ? (unsigned)(n - i) : c->parallel;
        for (unsigned j = 0; j < k; j++)
            tags_path(c->route->source, items[i + j].id, paths[j], sizeof paths[0]);
        request_many(c, paths, NULL, NULL, k, status);
        for (unsigned j = 0; j < k; j++)
            if (take_answer(c, j, status[j], &items[i + j]) < 0)
                return -1;
    }
    return 0;
}

/* POSTs for maintags (struct orthanc_http), up to WATCH_ORTHANC_PARALLEL at once. */
static void post_many(void *ctx, const char *path, const char *const *bodies, const size_t *lens, unsigned n,
                      long *status, struct json **answers)
{
    struct changes_reader *c = ctx;
    char paths[MAX_PARALLEL][160];
    for (unsigned i = 0; i < n; i++)
        snprintf(paths[i], sizeof paths[i], "%s", path);
    request_many(c, paths, bodies, lens, n, status);
    for (unsigned i = 0; i < n; i++)
        answers[i] = status[i] == 200 ? json_parse(c->bodies[i].data ? c->bodies[i].data : "", c->bodies[i].len)
                                      : NULL;
}

/* WATCH_ORTHANC_TAGS=main: the items' tags from Orthanc's index, at once;
 * a structured report (Modality SR) gets its full tags, for its content
 * tree, which the index does not hold. */
static int read_main_tags(struct changes_reader *c, struct changes_item *items, size_t n)
{
    const char **ids = calloc(n + 1, sizeof *ids);
    struct json **tags = calloc(n + 1, sizeof *tags);
    struct orthanc_http o = {post_many, c, c->parallel};
    char err[256];
    int rc = ids && tags ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        ids[i] = items[i].id;
    if (rc == 0 && n && (rc = maintags_read(c->main_tags, &o, ids, n, tags, err, sizeof err)) < 0)
        log_msg(LOG_WARN, c->route->name, "cannot read Orthanc's index: %s", err);
    for (size_t i = 0; tags && i < n; i++) {
        const char *modality = json_text(json_get(tags[i], "Modality"));
        if (rc == 0 && modality && !strcmp(modality, "SR")) {
            json_free(tags[i]);
            tags[i] = NULL;
            rc = read_tags(c, &items[i], 1);
        } else {
            items[i].tags = tags[i];
        }
    }
    free(ids);
    free(tags);
    return rc;
}

static void changes_url(const struct changes_reader *c, unsigned long long since, char *url, size_t cap)
{
    snprintf(url, cap, "%s/changes?since=%llu&limit=%u", c->w->conf.orthanc_url, since, c->w->conf.page);
}

/* Ask for the page after since now, answered while this page's tags are read. */
static void ask_next(struct changes_reader *c, unsigned long long since)
{
    char url[1024];
    changes_url(c, since, url, sizeof url);
    httpc_prepare(c->next.easy, url, NULL, NULL, 0, &c->next.body);
    c->next.since = since;
    c->next.state = curl_multi_add_handle(c->multi, c->next.easy) == CURLM_OK ? NEXT_ASKED : NEXT_NONE;
}

/* The page after since as asked ahead (its status, the body in out), or 0
 * when it was not asked, or failed: it is asked again, the usual way. */
static long take_next(struct changes_reader *c, unsigned long long since, struct strbuf *out)
{
    if (c->next.state == NEXT_ASKED && c->next.since == since)
        run_multi(c, 0, NULL, NULL);
    if (c->next.state == NEXT_ASKED)
        curl_multi_remove_handle(c->multi, c->next.easy); /* from before a restart: dropped */
    int ours = c->next.state == NEXT_ANSWERED && c->next.since == since && c->next.status == 200;
    c->next.state = NEXT_NONE;
    if (!ours)
        return 0;
    struct strbuf swap = *out;
    *out = c->next.body;
    c->next.body = swap;
    return 200;
}

/* GET /changes after since: the page parsed, or NULL (logged). */
static struct json *get_page(struct changes_reader *c, unsigned long long since)
{
    char url[1024], err[256] = "";
    long status = take_next(c, since, &c->bodies[0]);
    if (!status) {
        changes_url(c, since, url, sizeof url);
        httpc_prepare(c->easy[0], url, NULL, NULL, 0, &c->bodies[0]);
        status = httpc_perform(c->easy[0], err, sizeof err);
    }
    struct json *page = status == 200 ? json_parse(c->bodies[0].data, c->bodies[0].len) : NULL;
    if (!page || !json_get(page, "Changes") || json_get(page, "Changes")->type != JSON_ARRAY) {
        if (status == 200)
            snprintf(err, sizeof err, "not the JSON of /changes");
        else if (status)
            snprintf(err, sizeof err, "HTTP %ld", status);
        log_msg(LOG_WARN, c->route->name, "cannot read Orthanc's /changes: %s", err);
        json_free(page);
        return NULL;
    }
    return page;
}

static int id_ok(const char *id)
{
    return id && *id && strlen(id) < sizeof((struct changes_item *)0)->id &&
           strspn(id, "0123456789abcdef-") == strlen(id);
}

/* The changes of the route's type, as items without tags yet. */
static int wanted(const struct changes_reader *c, const struct json *changes, struct changes_page *out)
{
    out->items = calloc(changes->n + 1, sizeof *out->items);
    if (!out->items)
        return -1;
    for (size_t i = 0; i < changes->n; i++) {
        const struct json *ch = changes->items[i];
        const char *type = json_text(json_get(ch, "ChangeType")), *id = json_text(json_get(ch, "ID"));
        const char *seq = json_text(json_get(ch, "Seq"));
        if (!type || strcmp(type, changes_type(c->route->source)) || !id_ok(id))
            continue;
        struct changes_item *it = &out->items[out->n++];
        snprintf(it->id, sizeof it->id, "%s", id);
        it->seq = strtoull(seq ? seq : "0", NULL, 10);
    }
    return 0;
}

int changes_read(struct changes_reader *c, unsigned long long since, struct changes_page *out)
{
    memset(out, 0, sizeof *out);
    struct json *page = get_page(c, since);
    if (!page)
        return -1;
    const char *last = json_text(json_get(page, "Last"));
    const struct json *done = json_get(page, "Done");
    unsigned long long seq = last ? strtoull(last, NULL, 10) : since;
    out->last = seq > since ? seq : since;
    out->done = done && done->type == JSON_BOOL && !strcmp(done->text, "true");
    int rc = wanted(c, json_get(page, "Changes"), out);
    json_free(page);
    if (rc == 0 && !out->done)
        ask_next(c, out->last); /* Orthanc answers it while we read this page's tags */
    if (rc == 0)
        rc = c->main_tags ? read_main_tags(c, out->items, out->n) : read_tags(c, out->items, out->n);
    if (rc < 0)
        changes_page_free(out);
    return rc;
}

void changes_page_free(struct changes_page *p)
{
    for (size_t i = 0; p->items && i < p->n; i++)
        json_free(p->items[i].tags);
    free(p->items);
    memset(p, 0, sizeof *p);
}

void changes_reader_free(struct changes_reader *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < MAX_PARALLEL; i++) {
        if (c->easy[i])
            curl_easy_cleanup(c->easy[i]);
        strbuf_free(&c->bodies[i]);
    }
    if (c->next.state == NEXT_ASKED)
        curl_multi_remove_handle(c->multi, c->next.easy);
    if (c->next.easy)
        curl_easy_cleanup(c->next.easy);
    strbuf_free(&c->next.body);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    maintags_free(c->main_tags);
    free(c);
}

struct changes_reader *changes_reader_new(struct watcher *w, unsigned r)
{
    struct changes_reader *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->w = w;
    c->route = &w->conf.routes[r];
    c->parallel = w->conf.parallel < MAX_PARALLEL ? w->conf.parallel : MAX_PARALLEL;
    struct httpc_opts o = {w->conf.http_timeout_s, NULL, 0, w->conf.orthanc_user, w->conf.orthanc_password};
    int ok = (c->multi = curl_multi_init()) != NULL;
    for (unsigned i = 0; i < c->parallel; i++)
        if (!(c->easy[i] = httpc_new(&o)))
            ok = 0;
    if (!(c->next.easy = httpc_new(&o)))
        ok = 0;
    if (w->conf.orthanc_main_tags && c->route->source == SOURCE_ORTHANC_INSTANCES && !(c->main_tags = maintags_new()))
        ok = 0;
    if (!ok) {
        changes_reader_free(c);
        return NULL;
    }
    return c;
}
