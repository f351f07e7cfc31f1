/* stats.h: the counters /metrics shows: requests by kind and caller, and
 * totals of what went through. */
#ifndef BRIDGE_STATS_H
#define BRIDGE_STATS_H

#include "strbuf.h"

#include <pthread.h>
#include <stdatomic.h>

enum stats_kind { STATS_FIND, STATS_MOVE, STATS_GET, STATS_KINDS };

#define STATS_MAX_CALLERS 64

struct stats {
    pthread_mutex_t mu;
    struct { char aet[17]; unsigned long long n[STATS_KINDS]; } callers[STATS_MAX_CALLERS];
    unsigned ncallers;
    unsigned long long other[STATS_KINDS]; /* callers beyond the table */
    atomic_ullong matches, instances_received, instances_relayed, instances_failed, bytes_relayed,
        unmatched_stores, upstream_associations, upstream_failures, cancels, associations;
};

void stats_init(struct stats *s);
void stats_destroy(struct stats *s);
void stats_request(struct stats *s, enum stats_kind kind, const char *caller);
/* Prometheus lines of the counters. */
void stats_write(struct stats *s, struct strbuf *b);

#endif
