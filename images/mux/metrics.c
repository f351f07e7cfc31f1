/* metrics.c: see metrics.h. */
#include "metrics.h"

#include "mux.h"

#include <stddef.h>
#include <string.h>

/* The receiving side and the spool, for the whole mux. */
static void receiving(struct strbuf *b, struct mux *m)
{
    strbuf_addf(b, "# HELP mux_received_total Instances acknowledged to senders.\n# TYPE mux_received_total counter\n"
                   "mux_received_total %llu\n", (unsigned long long)m->received);
    strbuf_addf(b, "# TYPE mux_refused_total counter\nmux_refused_total{reason=\"spool_full\"} %llu\n"
                   "mux_refused_total{reason=\"error\"} %llu\nmux_refused_total{reason=\"no_destination\"} %llu\n"
                   "mux_refused_total{reason=\"invalid\"} %llu\n",
                (unsigned long long)m->refused_space, (unsigned long long)m->refused_other,
                (unsigned long long)m->refused_unrouted, (unsigned long long)m->refused_invalid);
    strbuf_addf(b, "# HELP mux_group_commits_total Group commits made to acknowledge instances.\n"
                   "# TYPE mux_group_commits_total counter\nmux_group_commits_total %llu\n"
                   "# HELP mux_fsyncs_total flushes (fsync, fdatasync) made since start: commits, segments, dead letters.\n"
                   "# TYPE mux_fsyncs_total counter\nmux_fsyncs_total %llu\n",
                (unsigned long long)m->spool.syncs, (unsigned long long)m->spool.fsyncs);
    strbuf_addf(b, "# TYPE mux_associations_total counter\nmux_associations_total %llu\n",
                (unsigned long long)m->associations);
    strbuf_addf(b, "# TYPE mux_spool_bytes gauge\nmux_spool_bytes %llu\n", spool_bytes(&m->spool));
}

/* The destinations' counters, one family each (every destination's line
 * under its TYPE line). */
static const struct {
    const char *name;
    size_t at; /* of its atomic_ullong in struct dest_queue */
} counters[] = {
    {"mux_forwarded_total", offsetof(struct dest_queue, forwarded)},
    {"mux_failed_attempts_total", offsetof(struct dest_queue, failed)},
    {"mux_dead_letters_total", offsetof(struct dest_queue, dead)},
    {"mux_quarantined_total", offsetof(struct dest_queue, quarantined)},
    {"mux_compressed_total", offsetof(struct dest_queue, compressed)},
    {"mux_association_failures_total", offsetof(struct dest_queue, association_failures)},
    {"mux_destination_out_of_resources_total", offsetof(struct dest_queue, out_of_resources)},
};

static void destination_counters(struct strbuf *b, struct mux *m)
{
    for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
        strbuf_addf(b, "# TYPE %s counter\n", counters[k].name);
        for (unsigned i = 0; i < m->conf.ndests; i++) {
            const atomic_ullong *n = (const atomic_ullong *)((const char *)&m->queues[i] + counters[k].at);
            strbuf_addf(b, "%s{destination=\"%s\"} %llu\n", counters[k].name, m->queues[i].dest->peer.name,
                        (unsigned long long)atomic_load(n));
        }
    }
}

/* The destinations' gauges: queue depth, oldest entry, time down. */
static void destination_gauges(struct strbuf *b, struct mux *m)
{
    size_t depth[MUX_MAX_DESTS];
    double oldest[MUX_MAX_DESTS], down[MUX_MAX_DESTS];
    for (unsigned i = 0; i < m->conf.ndests; i++)
        forward_stats(&m->queues[i], &depth[i], &oldest[i], &down[i]);
    strbuf_adds(b, "# TYPE mux_queue_depth gauge\n");
    for (unsigned i = 0; i < m->conf.ndests; i++)
        strbuf_addf(b, "mux_queue_depth{destination=\"%s\"} %zu\n", m->queues[i].dest->peer.name, depth[i]);
    strbuf_adds(b, "# TYPE mux_queue_oldest_seconds gauge\n");
    for (unsigned i = 0; i < m->conf.ndests; i++)
        strbuf_addf(b, "mux_queue_oldest_seconds{destination=\"%s\"} %.3f\n", m->queues[i].dest->peer.name,
                    oldest[i]);
    strbuf_adds(b, "# TYPE mux_destination_down_seconds gauge\n");
    for (unsigned i = 0; i < m->conf.ndests; i++)
        strbuf_addf(b, "mux_destination_down_seconds{destination=\"%s\"} %.3f\n", m->queues[i].dest->peer.name,
                    down[i]);
}

int metrics_page(const char *path, struct strbuf *b, const char **type, void *ud)
{
    struct mux *m = ud;
    if (!strcmp(path, "/health")) {
        strbuf_adds(b, "ok\n");
        return 200;
    }
    if (strcmp(path, "/metrics")) {
        strbuf_adds(b, "not found: try /metrics or /health\n");
        return 404;
    }
    *type = "text/plain; version=0.0.4";
    receiving(b, m);
    destination_counters(b, m);
    destination_gauges(b, m);
    return 200;
}
