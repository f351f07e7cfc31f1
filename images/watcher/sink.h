/* sink.h: the sinks behind the outbox. A sender thread per sink takes the
 * oldest batch, hands it to the sink, and removes it when the sink has it,
 * retries (with backoff) when the sink could not take it now, or moves it
 * to the dead letters when the sink refused it for good. */
#ifndef WATCH_SINK_H
#define WATCH_SINK_H

#include "watcher.h"

#include <stddef.h>

enum send_result { SEND_OK, SEND_RETRY, SEND_DEAD };

struct sink_ops {
    const char *name;
    /* Send one batch (outbox lines, NUL-terminated); on RETRY or DEAD, why
     * holds one line saying what the sink answered. */
    enum send_result (*send)(void *ctx, char *batch, size_t len, char *why, size_t cap);
    void (*free)(void *ctx);
};

/* Start the sender of sink `which` (SINK_HEC, SINK_PG) with ops and ctx
 * (freed by ops->free when the thread ends). 0 or -1. */
int sink_start(struct watcher *w, int which, const struct sink_ops *ops, void *ctx);

/* The sinks' contexts. NULL when it cannot be set up (logged). */
void *hec_new(struct watcher *w);
extern const struct sink_ops hec_ops;
void *pgsink_new(struct watcher *w);
extern const struct sink_ops pgsink_ops;

/* The number of lines (events) of a batch. */
unsigned sink_count_events(const char *batch, size_t len);

#endif
