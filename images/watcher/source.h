/* source.h: what every source thread shares: who it is (watcher, route,
 * counters' slot), and its loop: one round at a time until the watcher
 * stops, waiting while the outbox is full, backing off after a failed
 * round, idling after a round that found nothing more. */
#ifndef WATCH_SOURCE_H
#define WATCH_SOURCE_H

#include "watcher.h"

struct source {
    struct watcher *w;
    const struct route *route;
    unsigned slot;          /* the route's index: its counters, its thread */
    char cursor_path[600];  /* STATE/cursor/ROUTE */
};

/* A round: -1 failed (retried after a backoff), 0 more is waiting (go on
 * at once), 1 caught up (idle first), 2 nothing came (not counted as a
 * round; go on at once: the round itself waited). */
typedef int (*source_round)(void *ctx);

struct source_loop {
    source_round round;
    void *ctx;
    void (*done)(void *ctx);    /* frees ctx when the thread ends */
    unsigned idle_ms;
    int uses_outbox;            /* wait while a sink's outbox is full */
};

void source_init(struct source *s, struct watcher *w, unsigned r);

/* Run loop (copied) on route r's thread (w->route_threads[r]). 0, or -1
 * (then loop->done was not called: the caller frees ctx). */
int source_start(struct source *s, const struct source_loop *loop);

#endif
