/* sender.c: a sink's sender thread (see sink.h). */
#include "sink.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

struct sender {
    struct watcher *w;
    int which;
    unsigned slot;                 /* the sink's place in the outbox */
    const struct sink_ops *ops;
    void *ctx;
};

unsigned sink_count_events(const char *batch, size_t len)
{
    unsigned n = 0;
    for (const char *p = batch; (p = memchr(p, '\n', len - (size_t)(p - batch))); p++)
        n++;
    return n;
}

/* What the sink said about one batch, acted on. */
static void settle(struct sender *s, enum send_result r, const char *name, size_t len, unsigned events, const char *why)
{
    struct sink_stats *st = &s->w->sinks[s->which];
    if (r == SEND_OK) {
        outbox_done(&s->w->outbox, s->slot, name, len);
        atomic_fetch_add(&st->sent, events);
        return;
    }
    log_msg(LOG_ERROR, s->ops->name, "batch %s (%u events) refused for good: %s; kept in dead/%s/", name, events,
            why, s->ops->name);
    if (outbox_dead(&s->w->outbox, s->slot, name, len, why) < 0)
        log_msg(LOG_ERROR, s->ops->name, "cannot move batch %s to the dead letters", name);
    atomic_fetch_add(&st->failed, events);
    atomic_fetch_add(&st->dead_batches, 1);
}

static void *run(void *arg)
{
    struct sender *s = arg;
    unsigned failures = 0;
    char name[128], why[1024];
    while (!atomic_load(&s->w->stopping)) {
        char *batch = NULL;
        size_t len = 0;
        int got = outbox_next(&s->w->outbox, s->slot, 500, name, sizeof name, &batch, &len);
        if (got <= 0) {
            if (got < 0)
                watcher_sleep(s->w, 200); /* removed under us, or unreadable: look again */
            continue;
        }
        why[0] = '\0';
        unsigned events = sink_count_events(batch, len);
        enum send_result r = s->ops->send(s->ctx, batch, len, why, sizeof why);
        free(batch);
        if (r == SEND_RETRY) {
            atomic_fetch_add(&s->w->sinks[s->which].retries, 1);
            if (failures++ == 0 || failures % 10 == 0)
                log_msg(LOG_WARN, s->ops->name, "cannot deliver (attempt %u), will retry: %s", failures, why);
            watcher_backoff(s->w, failures);
            continue;
        }
        if (failures)
            log_msg(LOG_INFO, s->ops->name, "delivering again after %u failed attempt(s)", failures);
        failures = 0;
        settle(s, r, name, len, events, why);
    }
    s->ops->free(s->ctx);
    free(s);
    return NULL;
}

int sink_start(struct watcher *w, int which, const struct sink_ops *ops, void *ctx)
{
    struct sender *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    *s = (struct sender){w, which, (unsigned)w->sink_slot[which], ops, ctx};
    if (pthread_create(&w->sink_threads[which], NULL, run, s) != 0) {
        free(s);
        return -1;
    }
    return 0;
}
