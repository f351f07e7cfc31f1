/* orthanc.c: the orthanc:* sources. Each route follows Orthanc's /changes
 * from its own cursor (STATE/cursor/ROUTE): a thread reads the pages and
 * the tags of the changes it wants (NewInstance, StableSeries,
 * StableStudy) ahead (readahead.c, changes.c); the route's thread makes
 * them events, puts them in the outbox, and only then advances the cursor. */
#include "orthanc.h"

#include "atomicfile.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "readahead.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct follower {
    struct source src;                   /* watcher, route, slot */
    struct readahead *ahead;             /* reads the pages, on its own thread */
    unsigned long long cursor;
    struct strbuf batch;
    unsigned batch_events;
    uint64_t batch_read_ms;
};

static int read_cursor(struct follower *f)
{
    char *text = NULL;
    FILE *in = fopen(f->src.cursor_path, "re");
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
    if (atomicfile_write(f->src.cursor_path, buf, (size_t)n, 0640, (uid_t)-1, (gid_t)-1) < 0)
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
        log_msg(LOG_ERROR, f->src.route->name, "cannot write the cursor %s: %s", f->src.cursor_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A resource's tags (owned) as an event into the batch, when the route's
 * filter lets it through. */
static void add_event(struct follower *f, struct json *tags, const char *id)
{
    struct event ev;
    if (event_build(tags, f->src.route->source, id, &ev) < 0)
        return; /* cannot happen: changes.c keeps objects only */
    if (event_matches(&ev, f->src.route)) {
        if (!f->batch_events)
            f->batch_read_ms = clock_wall_ms();
        event_line(&f->batch, f->src.route, &ev, clock_wall_ms());
        f->batch_events++;
    } else {
        atomic_fetch_add(&f->src.w->routes[f->src.slot].skipped, 1);
    }
    event_free(&ev);
}

/* The batch out when it is full; seq: the change it reaches. */
static int flush_if_full(struct follower *f, unsigned long long seq)
{
    size_t kb = f->batch.len / 1024;
    if (f->batch_events >= f->src.w->conf.batch_events || kb >= f->src.w->conf.batch_kb)
        return flush(f, seq);
    return 0;
}

/* A page read ahead, into the outbox, then the cursor past it. 0 or -1. */
static int take_page(struct follower *f, struct changes_page *page)
{
    for (size_t i = 0; i < page->n; i++) {
        struct changes_item *it = &page->items[i];
        if (!it->tags) /* deleted before it was read: nothing to index */
            atomic_fetch_add(&f->src.w->routes[f->src.slot].skipped, 1);
        else
            add_event(f, it->tags, it->id);
        it->tags = NULL;
        if (flush_if_full(f, it->seq) < 0)
            return -1;
    }
    return flush(f, page->last > f->cursor ? page->last : f->cursor);
}

/* One round: the next page read ahead. 1 when caught up (Done), 0 when
 * more waits, 2 when none came, -1 when the outbox or the cursor failed
 * (the pages are read again from the cursor). */
static int round_once(struct follower *f)
{
    struct changes_page page;
    if (!readahead_next(f->ahead, 200, &page))
        return 2;
    int rc = take_page(f, &page), done = page.done;
    changes_page_free(&page);
    if (rc < 0) {
        f->batch.len = 0;
        f->batch_events = 0;
        readahead_restart(f->ahead, f->cursor);
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
    readahead_stop(f->ahead);
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
    if (read_cursor(f) < 0) {
        follower_free(f);
        return -1;
    }
    log_msg(LOG_INFO, f->src.route->name, "following %s/changes from %llu (%s)", w->conf.orthanc_url, f->cursor,
            changes_type(f->src.route->source));
    if (!(f->ahead = readahead_start(w, r, changes_reader_new(w, r), f->cursor))) {
        follower_free(f);
        return -1;
    }
    struct source_loop loop = {follow_round, f, follower_done, 0, 1};
    if (source_start(&f->src, &loop) < 0) {
        follower_free(f);
        return -1;
    }
    return 0;
}
