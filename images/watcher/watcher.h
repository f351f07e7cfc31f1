/* watcher.h: the state cirr-watcher's threads share: the settings, the
 * outbox, the counters /metrics shows, and the stop flag. */
#ifndef WATCH_WATCHER_H
#define WATCH_WATCHER_H

#include "httpd.h"
#include "outbox.h"
#include "watchconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct route_stats {
    atomic_ullong read;        /* events read and put in the outbox */
    atomic_ullong errors;      /* failed reads of the source */
    atomic_ullong skipped;     /* resources gone before they were read, or filtered out */
    atomic_ullong rounds;      /* reads of the source completed (a page of /changes, a PACS sweep) */
};

struct sink_stats {
    atomic_ullong sent;        /* events the sink has (answered, acknowledged, committed) */
    atomic_ullong failed;      /* events refused for good (dead letters) */
    atomic_ullong dead_batches;
    atomic_ullong retries;     /* failed attempts that will be retried */
};

/* Sinks, by their place in the outbox. */
enum { SINK_HEC, SINK_PG, SINK_COUNT };

struct watcher {
    struct watch_conf conf;
    struct outbox outbox;
    int sink_slot[SINK_COUNT];             /* outbox sink index, or -1 when not configured */
    struct route_stats routes[WATCH_MAX_ROUTES];
    struct sink_stats sinks[SINK_COUNT];
    atomic_int stopping;
    pthread_t route_threads[WATCH_MAX_ROUTES], sink_threads[SINK_COUNT];
    struct httpd httpd;
};

/* A condition variable whose timed waits run on the monotonic clock. */
void watcher_cond_init(pthread_cond_t *cond);

/* Sleep ms, in slices, returning early (1) when the watcher stops. */
int watcher_sleep(struct watcher *w, unsigned ms);

/* Wait before the next attempt after `failures` failures in a row; 1 when stopping. */
int watcher_backoff(struct watcher *w, unsigned failures);

#endif
