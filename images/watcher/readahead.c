/* readahead.c: see readahead.h. A queue of READAHEAD_PAGES pages under one
 * lock; `gen` counts restarts, so that a page read from before a restart
 * is dropped rather than queued. */
#include "readahead.h"

#include "backoff.h"
#include "clock.h"

#include <pthread.h>
#include <stdlib.h>

struct readahead {
    struct watcher *w;
    unsigned slot;                       /* the route's: its error counter */
    struct changes_reader *reader;       /* used by the thread alone */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;              /* a page queued or taken, a restart, the stop */
    struct changes_page queue[READAHEAD_PAGES];
    unsigned head, count;
    unsigned long long since;            /* the next page to read is after this change */
    unsigned gen;
    int stop;
};

/* Wait (locked) up to ms, or until a restart or the stop. */
static void pause_locked(struct readahead *ra, unsigned ms)
{
    unsigned gen = ra->gen;
    struct timespec until = clock_timespec(clock_mono_ms() + ms);
    while (!ra->stop && gen == ra->gen && pthread_cond_timedwait(&ra->changed, &ra->lock, &until) == 0)
        ;
}

static void drop_queued(struct readahead *ra)
{
    for (; ra->count; ra->count--, ra->head = (ra->head + 1) % READAHEAD_PAGES)
        changes_page_free(&ra->queue[ra->head]);
}

/* A page read after `since` (rc: changes_read's) into the queue, locked. */
static void settle(struct readahead *ra, unsigned long long since, int rc, struct changes_page *page,
                   unsigned *failures)
{
    if (rc < 0) {
        atomic_fetch_add(&ra->w->routes[ra->slot].errors, 1);
        struct watch_conf *c = &ra->w->conf;
        unsigned delay = backoff_delay_ms(c->retry_base_ms, c->retry_max_ms, (*failures)++);
        pause_locked(ra, (unsigned)backoff_jitter_ms(delay));
        return;
    }
    *failures = 0;
    ra->since = page->last;
    int done = page->done;
    if (page->n || page->last > since) { /* events, or a cursor to move past other changes */
        ra->queue[(ra->head + ra->count++) % READAHEAD_PAGES] = *page;
        pthread_cond_broadcast(&ra->changed);
    } else {
        changes_page_free(page);
    }
    if (done)
        pause_locked(ra, ra->w->conf.poll_ms); /* caught up: ask again later */
}

static void *run(void *arg)
{
    struct readahead *ra = arg;
    unsigned failures = 0;
    pthread_mutex_lock(&ra->lock);
    while (!ra->stop) {
        if (ra->count == READAHEAD_PAGES) {
            pthread_cond_wait(&ra->changed, &ra->lock);
            continue;
        }
        unsigned long long since = ra->since;
        unsigned gen = ra->gen;
        pthread_mutex_unlock(&ra->lock);
        struct changes_page page;
        int rc = changes_read(ra->reader, since, &page);
        pthread_mutex_lock(&ra->lock);
        if (gen != ra->gen) { /* restarted meanwhile: what was read is from before */
            if (rc == 0)
                changes_page_free(&page);
            continue;
        }
        settle(ra, since, rc, &page, &failures);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

struct readahead *readahead_start(struct watcher *w, unsigned r, struct changes_reader *reader,
                                  unsigned long long since)
{
    struct readahead *ra = reader ? calloc(1, sizeof *ra) : NULL;
    if (!ra) {
        changes_reader_free(reader);
        return NULL;
    }
    *ra = (struct readahead){.w = w, .slot = r, .reader = reader, .since = since};
    pthread_mutex_init(&ra->lock, NULL);
    watcher_cond_init(&ra->changed);
    if (pthread_create(&ra->thread, NULL, run, ra) != 0) {
        ra->stop = -1; /* no thread to join */
        readahead_stop(ra);
        return NULL;
    }
    return ra;
}

int readahead_next(struct readahead *ra, unsigned wait_ms, struct changes_page *out)
{
    pthread_mutex_lock(&ra->lock);
    struct timespec until = clock_timespec(clock_mono_ms() + wait_ms);
    while (!ra->count && !ra->stop && pthread_cond_timedwait(&ra->changed, &ra->lock, &until) == 0)
        ;
    int got = ra->count > 0;
    if (got) {
        *out = ra->queue[ra->head];
        ra->head = (ra->head + 1) % READAHEAD_PAGES;
        ra->count--;
        pthread_cond_broadcast(&ra->changed);
    }
    pthread_mutex_unlock(&ra->lock);
    return got;
}

void readahead_restart(struct readahead *ra, unsigned long long since)
{
    pthread_mutex_lock(&ra->lock);
    drop_queued(ra);
    ra->since = since;
    ra->gen++;
    pthread_cond_broadcast(&ra->changed);
    pthread_mutex_unlock(&ra->lock);
}

void readahead_stop(struct readahead *ra)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    int joinable = ra->stop == 0;
    ra->stop = 1;
    pthread_cond_broadcast(&ra->changed);
    pthread_mutex_unlock(&ra->lock);
    if (joinable)
        pthread_join(ra->thread, NULL);
    drop_queued(ra);
    changes_reader_free(ra->reader);
    pthread_mutex_destroy(&ra->lock);
    pthread_cond_destroy(&ra->changed);
    free(ra);
}
