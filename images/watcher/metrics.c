/* metrics.c: see metrics.h. */
#include "metrics.h"

#include "clock.h"
#include "watcher.h"

#include <string.h>

static const char *const sink_names[SINK_COUNT] = {"hec", "pg"};

/* The per-route counters: name, meaning, and which of struct route_stats. */
enum { ROUTE_READ, ROUTE_ERRORS, ROUTE_ROUNDS, ROUTE_SKIPPED };
static const struct {
    int which;
    const char *name, *help;
} route_metrics[] = {
    {ROUTE_READ, "watcher_events_read_total", "Events read from a route's source and put in the outbox."},
    {ROUTE_ERRORS, "watcher_source_errors_total", "Failed reads of a route's source (retried)."},
    {ROUTE_ROUNDS, "watcher_source_rounds_total", "Completed reads of a source (a page of /changes, a PACS sweep)."},
    {ROUTE_SKIPPED, "watcher_events_skipped_total", "Resources gone before they were read, or left out by the filter."},
};

static unsigned long long route_value(struct route_stats *s, int which)
{
    switch (which) {
    case ROUTE_READ: return s->read;
    case ROUTE_ERRORS: return s->errors;
    case ROUTE_ROUNDS: return s->rounds;
    default: return s->skipped;
    }
}

static void routes(struct strbuf *b, struct watcher *w)
{
    for (size_t m = 0; m < sizeof route_metrics / sizeof route_metrics[0]; m++) {
        strbuf_addf(b, "# HELP %s %s\n# TYPE %s counter\n", route_metrics[m].name, route_metrics[m].help,
                    route_metrics[m].name);
        for (unsigned i = 0; i < w->conf.nroutes; i++)
            strbuf_addf(b, "%s{route=\"%s\"} %llu\n", route_metrics[m].name, w->conf.routes[i].name,
                        route_value(&w->routes[i], route_metrics[m].which));
    }
}

static void sink(struct strbuf *b, struct watcher *w, int s)
{
    const char *n = sink_names[s];
    struct sink_stats *st = &w->sinks[s];
    struct outbox_sink *o = &w->outbox.sinks[w->sink_slot[s]];
    pthread_mutex_lock(&w->outbox.lock);
    unsigned long long bytes = o->bytes, batches = o->batches, oldest = o->oldest_read_ms;
    pthread_mutex_unlock(&w->outbox.lock);
    uint64_t now = clock_wall_ms();
    double lag = batches && oldest && oldest < now ? (double)(now - oldest) / 1000.0 : 0.0;
    strbuf_addf(b, "watcher_events_sent_total{sink=\"%s\"} %llu\n", n, (unsigned long long)st->sent);
    strbuf_addf(b, "watcher_events_failed_total{sink=\"%s\"} %llu\n", n, (unsigned long long)st->failed);
    strbuf_addf(b, "watcher_dead_batches_total{sink=\"%s\"} %llu\n", n, (unsigned long long)st->dead_batches);
    strbuf_addf(b, "watcher_send_retries_total{sink=\"%s\"} %llu\n", n, (unsigned long long)st->retries);
    strbuf_addf(b, "watcher_outbox_batches{sink=\"%s\"} %llu\n", n, batches);
    strbuf_addf(b, "watcher_outbox_bytes{sink=\"%s\"} %llu\n", n, bytes);
    strbuf_addf(b, "watcher_lag_seconds{sink=\"%s\"} %.3f\n", n, lag);
}

/* /health: the watcher runs (its sources and sinks report through /metrics). */
static int health(struct strbuf *body, const char **type)
{
    *type = "text/plain";
    strbuf_adds(body, "ok\n");
    return 200;
}

int metrics_page(const char *path, struct strbuf *body, const char **type, void *ud)
{
    struct watcher *w = ud;
    if (!strcmp(path, "/health"))
        return health(body, type);
    if (strcmp(path, "/metrics"))
        return 404;
    *type = "text/plain; version=0.0.4";
    routes(body, w);
    strbuf_adds(body, "# HELP watcher_events_sent_total Events a sink has (answered, acknowledged or committed).\n"
                      "# TYPE watcher_events_sent_total counter\n# TYPE watcher_events_failed_total counter\n"
                      "# TYPE watcher_dead_batches_total counter\n# TYPE watcher_send_retries_total counter\n"
                      "# TYPE watcher_outbox_batches gauge\n# TYPE watcher_outbox_bytes gauge\n"
                      "# HELP watcher_lag_seconds Age of the oldest event still waiting for a sink (0: none).\n"
                      "# TYPE watcher_lag_seconds gauge\n");
    for (int s = 0; s < SINK_COUNT; s++)
        if (w->sink_slot[s] >= 0)
            sink(body, w, s);
    return 200;
}
