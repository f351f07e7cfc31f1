/* metrics.c: see metrics.h. */
#include "metrics.h"

#include "mux.h"

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
                   "# HELP mux_fsyncs_total fsync calls made by the group commits.\n"
                   "# TYPE mux_fsyncs_total counter\nmux_fsyncs_total %llu\n",
                (unsigned long long)m->spool.syncs, (unsigned long long)m->spool.fsyncs);
    strbuf_addf(b, "# TYPE mux_associations_total counter\nmux_associations_total %llu\n",
                (unsigned long long)m->associations);
    strbuf_addf(b, "# TYPE mux_spool_bytes gauge\nmux_spool_bytes %llu\n", spool_bytes(&m->spool));
}

/* One destination's lines (their TYPE lines come once, before all). */
static void destination(struct strbuf *b, struct dest_queue *q)
{
    size_t depth;
    double oldest, down;
    forward_stats(q, &depth, &oldest, &down);
    const char *d = q->dest->peer.name;
    strbuf_addf(b, "mux_forwarded_total{destination=\"%s\"} %llu\n", d, (unsigned long long)q->forwarded);
    strbuf_addf(b, "mux_failed_attempts_total{destination=\"%s\"} %llu\n", d, (unsigned long long)q->failed);
    strbuf_addf(b, "mux_dead_letters_total{destination=\"%s\"} %llu\n", d, (unsigned long long)q->dead);
    strbuf_addf(b, "mux_queue_depth{destination=\"%s\"} %zu\n", d, depth);
    strbuf_addf(b, "mux_queue_oldest_seconds{destination=\"%s\"} %.3f\n", d, oldest);
    strbuf_addf(b, "mux_association_failures_total{destination=\"%s\"} %llu\n", d,
                (unsigned long long)q->association_failures);
    strbuf_addf(b, "mux_destination_out_of_resources_total{destination=\"%s\"} %llu\n", d,
                (unsigned long long)q->out_of_resources);
    strbuf_addf(b, "mux_destination_down_seconds{destination=\"%s\"} %.3f\n", d, down);
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
    strbuf_adds(b, "# TYPE mux_forwarded_total counter\n# TYPE mux_failed_attempts_total counter\n"
                   "# TYPE mux_dead_letters_total counter\n# TYPE mux_queue_depth gauge\n"
                   "# TYPE mux_queue_oldest_seconds gauge\n# TYPE mux_association_failures_total counter\n"
                   "# TYPE mux_destination_out_of_resources_total counter\n"
                   "# TYPE mux_destination_down_seconds gauge\n");
    for (unsigned i = 0; i < m->conf.ndests; i++)
        destination(b, &m->queues[i]);
    return 200;
}
