/* forward.h: per-destination queues and the workers that drain them. Each
 * destination has its own threads and association, so a slow or dead
 * destination never delays another.
 *
 * Clocks: deadlines and durations (retry times, outages) are on the
 * monotonic clock, so that setting the wall clock neither stalls nor
 * rushes a retry; an instance's age comes from the wall-clock time in its
 * spool name (it must survive a restart) and is measured on the wall
 * clock. */
#ifndef MUX_FORWARD_H
#define MUX_FORWARD_H

#include "spool.h"

#include <pthread.h>
#include <stdatomic.h>

struct entry {
    char name[SPOOL_NAME_MAX];
    unsigned attempts;
    unsigned long long not_before_ms; /* monotonic; 0: now */
    int again; /* in a batch: goes back into the queue when it is finished */
};

/* A batch a worker has taken and not finished yet (the worker's array). */
struct flight {
    const struct entry *batch;
    size_t k;
};

struct dest_queue {
    const struct mux_dest *dest;
    struct spool *spool;
    const struct mux_conf *conf;
    pthread_mutex_t lock;
    pthread_cond_t ready;    /* timed waits on the monotonic clock */
    struct entry *items;     /* waiting, oldest first */
    size_t n, cap;
    size_t in_flight;        /* entries in the flights below */
    struct flight flights[MUX_MAX_WORKERS];
    unsigned long long oldest_in_flight_ms; /* wall clock (a received time) */
    atomic_ullong forwarded, failed, dead;
    atomic_ullong quarantined, compressed; /* by the destination's transforms */
    /* The destination as a whole: while it cannot be reached, one
     * association attempt per backoff step, and its instances' attempts
     * do not count (an outage is not the instances' fault). Monotonic. */
    unsigned long long down_since_ms, down_until_ms, down_logged_ms;
    unsigned down_attempts;
    enum { DEST_UP, DEST_UNREACHABLE, DEST_OUT_OF_RESOURCES } down_reason;
    atomic_ullong association_failures, out_of_resources;
    pthread_t workers[MUX_MAX_WORKERS];
    unsigned nworkers;
    volatile int stop;
};

/* Load each destination's queue from the spool and start its workers. */
int forward_start(struct dest_queue *qs, const struct mux_conf *c, struct spool *s);
void forward_stop(struct dest_queue *qs, unsigned n);

/* A new entry for queue q (after it is durable). */
void forward_push(struct dest_queue *q, const char *name);

/* Re-read the queue folders (after cirr-mux requeue): entries not known yet are added. */
void forward_rescan(struct dest_queue *qs, unsigned n);

/* Depth, age of the oldest entry and how long the destination has been
 * down, unreachable or out of resources (0 while it works), in seconds. */
void forward_stats(struct dest_queue *q, size_t *depth, double *oldest_s, double *down_s);

#endif
