/* orthanc.c: the orthanc:* sources. Each route follows Orthanc's /changes
 * from its own cursor (STATE/cursor/ROUTE), reads the tags of the changes
 * it wants (NewInstance, StableSeries, StableStudy) several at a time,
 * puts the events in the outbox, and only then advances the cursor. */
#include "orthanc.h"

#include "atomicfile.h"
#include "clock.h"
#include "event.h"
#include "httpc.h"
#include "log.h"
#include "maintags.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARALLEL 32

struct follower {
    struct source src;                   /* watcher, route, slot */
    CURL *easy[MAX_PARALLEL];
    struct strbuf bodies[MAX_PARALLEL];
    CURLM *multi;
    unsigned parallel;
    unsigned long long cursor;
    char cursor_path[600];
    struct strbuf batch;
    unsigned batch_events;
    uint64_t batch_read_ms;
    struct maintags *main_tags;          /* WATCH_ORTHANC_TAGS=main (instances), else NULL */
};

/* What each source asks Orthanc: its change type and the tags' path. */
static const char *change_type(enum source_kind k)
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

static int read_cursor(struct follower *f)
{
    char *text = NULL;
    FILE *in = fopen(f->cursor_path, "re");
    if (!in)
        return errno == ENOENT ? 0 : -1;
    char buf[64] = "";
    if (!fgets(buf, sizeof buf, in))
        buf[0] = '\0';
    fclose(in);
    f->cursor = strtoull(buf, &text, 10);
    return 0;
}

static int write_cursor(struct follower *f, unsigned long long seq)
{
    char buf[32];
    if (seq == f->cursor)
        return 0;
    int n = snprintf(buf, sizeof buf, "%llu\n", seq);
    if (atomicfile_write(f->cursor_path, buf, (size_t)n, 0640, (uid_t)-1, (gid_t)-1) < 0)
        return -1;
    f->cursor = seq;
    return 0;
}

/* The batch into the outbox, then the cursor to seq. 0 or -1. */
static int flush(struct follower *f, unsigned long long seq)
{
    if (f->batch_events) {
        if (outbox_put(&f->src.w->outbox, f->batch.data, f->batch.len, f->batch_read_ms) < 0) {
            log_msg(LOG_ERROR, f->src.route->name, "cannot write to the outbox: %s", strerror(errno));
            return -1;
        }
        atomic_fetch_add(&f->src.w->routes[f->src.slot].read, f->batch_events);
        f->batch.len = 0;
        f->batch_events = 0;
    }
    if (write_cursor(f, seq) < 0) {
        log_msg(LOG_ERROR, f->src.route->name, "cannot write the cursor %s: %s", f->cursor_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Requests to paths[0..n) at once: GETs, or POSTs of bodies[i] (lens[i]
 * bytes) when bodies is not NULL; status[i] is each one's HTTP status (0:
 * failed), its answer in f->bodies[i]. */
static void request_many(struct follower *f, char paths[][160], const char *const *bodies, const size_t *lens,
                         unsigned n, long *status)
{
    char url[1024], err[256];
    for (unsigned i = 0; i < n; i++) {
        if (snprintf(url, sizeof url, "%s%s", f->src.w->conf.orthanc_url, paths[i]) >= (int)sizeof url)
            url[0] = '\0'; /* cannot happen: WATCH_ORTHANC_URL is at most 500 characters */
        httpc_prepare(f->easy[i], url, NULL, bodies ? bodies[i] : NULL, bodies ? lens[i] : 0, &f->bodies[i]);
        curl_multi_add_handle(f->multi, f->easy[i]);
        status[i] = 0;
    }
    int running = 1, left;
    while (running) {
        if (curl_multi_perform(f->multi, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(f->multi, NULL, 0, 1000, NULL);
    }
    for (CURLMsg *m; (m = curl_multi_info_read(f->multi, &left));)
        for (unsigned i = 0; i < n; i++)
            if (m->msg == CURLMSG_DONE && m->easy_handle == f->easy[i])
                status[i] = httpc_status(f->easy[i], m->data.result, err, sizeof err);
    for (unsigned i = 0; i < n; i++)
        curl_multi_remove_handle(f->multi, f->easy[i]);
}

static void fetch_many(struct follower *f, char paths[][160], unsigned n, long *status)
{
    request_many(f, paths, NULL, NULL, n, status);
}

/* A resource's tags (owned) as an event into the batch, when the route's
 * filter lets it through. 0, or -1 when they are not an object. */
static int add_event(struct follower *f, struct json *tags, const char *id)
{
    struct event ev;
    if (event_build(tags, f->src.route->source, id, &ev) < 0)
        return -1;
    if (event_matches(&ev, f->src.route)) {
        if (!f->batch_events)
            f->batch_read_ms = clock_wall_ms();
        event_line(&f->batch, f->src.route, &ev, clock_wall_ms());
        f->batch_events++;
    } else {
        atomic_fetch_add(&f->src.w->routes[f->src.slot].skipped, 1);
    }
    event_free(&ev);
    return 0;
}

/* One answer of fetch_many into the batch. 0, or -1 when it must be read again. */
static int take(struct follower *f, unsigned i, long status, const char *id)
{
    if (status == 404) { /* deleted before we read it: nothing to index */
        atomic_fetch_add(&f->src.w->routes[f->src.slot].skipped, 1);
        return 0;
    }
    if (status != 200 ||
        add_event(f, json_parse(f->bodies[i].data ? f->bodies[i].data : "", f->bodies[i].len), id) < 0) {
        char esc[LOG_ESCAPED_SIZE(64)];
        log_msg(LOG_WARN, f->src.route->name, "cannot read the tags of %s (HTTP %ld)", log_escape(esc, sizeof esc, id),
                status);
        return -1;
    }
    return 0;
}

/* The batch out when it is full; seq: the change it reaches. */
static int flush_if_full(struct follower *f, unsigned long long seq)
{
    size_t kb = f->batch.len / 1024;
    if (f->batch_events >= f->src.w->conf.batch_events || kb >= f->src.w->conf.batch_kb)
        return flush(f, seq);
    return 0;
}

static int id_ok(const char *id)
{
    return id && *id && strlen(id) < 100 && strspn(id, "0123456789abcdef-") == strlen(id);
}

/* The changes of one page that this route wants, read and batched; the
 * batch goes out whenever it is full. 0, or -1 to read the page again. */
static int take_page(struct follower *f, const struct json *changes)
{
    char paths[MAX_PARALLEL][160];
    const char *ids[MAX_PARALLEL];
    unsigned long long seqs[MAX_PARALLEL];
    long status[MAX_PARALLEL];
    size_t i = 0;
    while (i < changes->n) {
        unsigned n = 0;
        for (; i < changes->n && n < f->parallel; i++) {
            const struct json *c = changes->items[i];
            const char *type = json_text(json_get(c, "ChangeType")), *id = json_text(json_get(c, "ID"));
            if (!type || strcmp(type, change_type(f->src.route->source)) || !id_ok(id))
                continue;
            ids[n] = id;
            seqs[n] = strtoull(json_text(json_get(c, "Seq")) ? json_text(json_get(c, "Seq")) : "0", NULL, 10);
            tags_path(f->src.route->source, id, paths[n++], sizeof paths[0]);
        }
        fetch_many(f, paths, n, status);
        for (unsigned k = 0; k < n; k++)
            if (take(f, k, status[k], ids[k]) < 0 || flush_if_full(f, seqs[k]) < 0)
                return -1;
    }
    return 0;
}

/* POSTs for maintags (struct orthanc_http), up to WATCH_ORTHANC_PARALLEL at once. */
static void post_many(void *ctx, const char *path, const char *const *bodies, const size_t *lens, unsigned n,
                      long *status, struct json **answers)
{
    struct follower *f = ctx;
    char paths[MAX_PARALLEL][160];
    for (unsigned i = 0; i < n; i++)
        snprintf(paths[i], sizeof paths[i], "%s", path);
    request_many(f, paths, bodies, lens, n, status);
    for (unsigned i = 0; i < n; i++)
        answers[i] = status[i] == 200 ? json_parse(f->bodies[i].data ? f->bodies[i].data : "", f->bodies[i].len)
                                      : NULL;
}

/* One tagged instance of a main-tags page into the batch: a structured
 * report's full tags are read (its content tree is not in the index). */
static int take_main(struct follower *f, struct json *tags, const char *id)
{
    const char *modality = json_text(json_get(tags, "Modality"));
    if (!modality || strcmp(modality, "SR"))
        return add_event(f, tags, id);
    json_free(tags);
    char path[1][160];
    long status;
    tags_path(f->src.route->source, id, path[0], sizeof path[0]);
    fetch_many(f, path, 1, &status);
    return take(f, 0, status, id);
}

/* take_page for WATCH_ORTHANC_TAGS=main: the page's instances at once. */
static int take_page_main(struct follower *f, const struct json *changes)
{
    const char **ids = calloc(changes->n + 1, sizeof *ids);
    unsigned long long *seqs = calloc(changes->n + 1, sizeof *seqs);
    struct json **tags = calloc(changes->n + 1, sizeof *tags);
    struct orthanc_http o = {post_many, f, f->parallel};
    char err[256];
    size_t n = 0;
    int rc = ids && seqs && tags ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < changes->n; i++) {
        const struct json *c = changes->items[i];
        const char *type = json_text(json_get(c, "ChangeType")), *id = json_text(json_get(c, "ID"));
        if (type && !strcmp(type, change_type(f->src.route->source)) && id_ok(id)) {
            seqs[n] = strtoull(json_text(json_get(c, "Seq")) ? json_text(json_get(c, "Seq")) : "0", NULL, 10);
            ids[n++] = id;
        }
    }
    if (rc == 0 && n && (rc = maintags_read(f->main_tags, &o, ids, n, tags, err, sizeof err)) < 0)
        log_msg(LOG_WARN, f->src.route->name, "cannot read Orthanc's index: %s", err);
    for (size_t i = 0; i < n; i++) {
        struct json *t = tags[i];
        tags[i] = NULL;
        if (rc == 0 && !t)
            atomic_fetch_add(&f->src.w->routes[f->src.slot].skipped, 1); /* deleted since */
        else if (rc == 0 && (take_main(f, t, ids[i]) < 0 || flush_if_full(f, seqs[i]) < 0))
            rc = -1;
        else if (rc < 0)
            json_free(t);
    }
    free(ids);
    free(seqs);
    free(tags);
    return rc;
}

/* GET /changes from the cursor: the page parsed, or NULL. */
static struct json *read_changes(struct follower *f)
{
    char url[1024], err[256];
    snprintf(url, sizeof url, "%s/changes?since=%llu&limit=%u", f->src.w->conf.orthanc_url, f->cursor, f->src.w->conf.page);
    httpc_prepare(f->easy[0], url, NULL, NULL, 0, &f->bodies[0]);
    long status = httpc_perform(f->easy[0], err, sizeof err);
    struct json *page = status == 200 ? json_parse(f->bodies[0].data, f->bodies[0].len) : NULL;
    if (!page || !json_get(page, "Changes") || json_get(page, "Changes")->type != JSON_ARRAY) {
        if (status == 200)
            snprintf(err, sizeof err, "not the JSON of /changes");
        else if (status)
            snprintf(err, sizeof err, "HTTP %ld", status);
        log_msg(LOG_WARN, f->src.route->name, "cannot read Orthanc's /changes: %s", err);
        json_free(page);
        return NULL;
    }
    return page;
}

/* One round: 1 when caught up (Done), 0 when more waits, -1 on failure. */
static int round_once(struct follower *f)
{
    struct json *page = read_changes(f);
    if (!page)
        return -1;
    int rc = f->main_tags ? take_page_main(f, json_get(page, "Changes")) : take_page(f, json_get(page, "Changes"));
    const char *last = json_text(json_get(page, "Last"));
    unsigned long long seq = last ? strtoull(last, NULL, 10) : f->cursor;
    if (rc == 0)
        rc = flush(f, seq > f->cursor ? seq : f->cursor);
    int done = json_get(page, "Done") && !strcmp(json_get(page, "Done")->text ? json_get(page, "Done")->text : "", "true");
    json_free(page);
    if (rc < 0) {
        f->batch.len = 0; /* read again from the cursor */
        f->batch_events = 0;
        return -1;
    }
    return done;
}

/* A round of the source loop (source.h). */
static int follow_round(void *arg)
{
    return round_once(arg);
}

static void follower_free(struct follower *f)
{
    for (unsigned i = 0; i < MAX_PARALLEL; i++) {
        if (f->easy[i])
            curl_easy_cleanup(f->easy[i]);
        strbuf_free(&f->bodies[i]);
    }
    if (f->multi)
        curl_multi_cleanup(f->multi);
    maintags_free(f->main_tags);
    strbuf_free(&f->batch);
    free(f);
}

static void follower_done(void *arg) { follower_free(arg); }

int orthanc_start(struct watcher *w, unsigned r)
{
    struct follower *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    source_init(&f->src, w, r);
    f->parallel = w->conf.parallel < MAX_PARALLEL ? w->conf.parallel : MAX_PARALLEL;
    struct httpc_opts o = {w->conf.http_timeout_s, NULL, 0, w->conf.orthanc_user, w->conf.orthanc_password};
    int ok = (f->multi = curl_multi_init()) != NULL;
    for (unsigned i = 0; i < f->parallel; i++)
        if (!(f->easy[i] = httpc_new(&o)))
            ok = 0;
    if (w->conf.orthanc_main_tags && f->src.route->source == SOURCE_ORTHANC_INSTANCES && !(f->main_tags = maintags_new()))
        ok = 0;
    snprintf(f->cursor_path, sizeof f->cursor_path, "%s/cursor/%s", w->conf.state, f->src.route->name);
    if (!ok || read_cursor(f) < 0) {
        follower_free(f);
        return -1;
    }
    log_msg(LOG_INFO, f->src.route->name, "following %s/changes from %llu (%s)", w->conf.orthanc_url, f->cursor,
            change_type(f->src.route->source));
    struct source_loop loop = {follow_round, f, follower_done, w->conf.poll_ms, 1};
    if (source_start(&f->src, &loop) < 0) {
        follower_free(f);
        return -1;
    }
    return 0;
}
