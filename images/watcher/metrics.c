/* metrics.c: see metrics.h. */
#include "metrics.h"

#include "clock.h"
#include "watcher.h"

#include <string.h>

static const char *const sink_names[SINK_COUNT] = {"hec", "pg"};

static void routes(struct strbuf *b, struct watcher *w)
{
    strbuf_adds(b, "# HELP watcher_events_read_total Events read from a route's source and put in the outbox.\n"
                   "# TYPE watcher_events_read_total counter\n");
    for (unsigned i = 0; i < w->conf.nroutes; i++)
        strbuf_addf(b, "watcher_events_read_total{route=\"%s\"} %llu\n", w->conf.routes[i].name,
                    (unsigned long long)w->routes[i].read);
    strbuf_adds(b, "# TYPE watcher_source_errors_total counter\n");
    for (unsigned i = 0; i < w->conf.nroutes; i++)
        strbuf_addf(b, "watcher_source_errors_total{route=\"%s\"} %llu\n", w->conf.routes[i].name,
                    (unsigned long long)w->routes[i].errors);
    strbuf_adds(b, "# HELP watcher_source_rounds_total Completed reads of a source (a page of /changes, a PACS sweep).\n"
                   "# TYPE watcher_source_rounds_total counter\n");
    for (unsigned i = 0; i < w->conf.nroutes; i++)
        strbuf_addf(b, "watcher_source_rounds_total{route=\"%s\"} %llu\n", w->conf.routes[i].name,
                    (unsigned long long)w->routes[i].rounds);
    strbuf_adds(b, "# TYPE watcher_events_skipped_total counter\n");
    for (unsigned i = 0; i < w->conf.nroutes; i++)
        strbuf_addf(b, "watcher_events_skipped_total{route=\"%s\"} %llu\n", w->conf.routes[i].name,
                    (unsigned long long)w->routes[i].skipped);
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

int metrics_page(const char *path, struct strbuf *body, const char **type, void *ud)
{
    struct watcher *w = ud;
    if (!strcmp(path, "/health")) {
        strbuf_adds(body, "ok\n");
        *type = "text/plain";
        return 200;
    }
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
