/* cirr-mux: the CIRR's DICOM ingress multiplexer. A C-STORE SCP that
 * acknowledges an instance only once it is durable in the spool, then
 * forwards it to every destination that wants it, each on its own workers,
 * with retries and dead letters.
 *
 *   cirr-mux                 run (configuration from the environment)
 *   cirr-mux dead            list dead letters and their reasons
 *   cirr-mux requeue DEST    move DEST's dead letters back into its queue
 *                            (then SIGHUP the running mux, or restart it)
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT; 100 bad configuration (one line
 * names the variable); 111 cannot listen, or another system failure. */
#include "forward.h"
#include "httpd.h"
#include "log.h"
#include "muxconf.h"
#include "spool.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mux {
    struct mux_conf conf;
    struct spool spool;
    struct dest_queue queues[MUX_MAX_DESTS];
    struct httpd httpd;
    atomic_ullong received, refused_space, refused_other, refused_unrouted, associations;
};

static cirr_dicom_scp *the_scp;
static volatile sig_atomic_t rescan_requested, stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
    if (the_scp)
        cirr_dicom_scp_stop(the_scp);
}

/* SIGHUP (after cirr-mux requeue) is noticed here, outside the handler. */
static void *rescanner(void *arg)
{
    struct mux *m = arg;
    while (!stopping) {
        usleep(300000);
        if (rescan_requested) {
            rescan_requested = 0;
            log_msg(LOG_INFO, NULL, "SIGHUP: re-reading the queues");
            forward_rescan(m->queues, m->conf.ndests);
        }
    }
    return NULL;
}

static void on_hup(int sig)
{
    (void)sig;
    rescan_requested = 1;
}

static uint16_t store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    struct mux *m = ud;
    char modality[32] = "", sop_class[80] = "", name[SPOOL_NAME_MAX], why[512];
    if (spool_free_bytes(&m->spool) < m->conf.min_free_bytes) {
        m->refused_space++;
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0xA700): spool below MUX_MIN_FREE_MB", peer->calling_aet);
        return 0xA700;
    }
    cirr_dicom_get_string(ds, CIRR_TAG_MODALITY, modality, sizeof modality);
    cirr_dicom_get_string(ds, CIRR_TAG_SOP_CLASS_UID, sop_class, sizeof sop_class);
    int wanted[MUX_MAX_DESTS] = {0}, any = 0;
    for (unsigned i = 0; i < m->conf.ndests; i++)
        any |= wanted[i] = mux_dest_wants(&m->conf.dests[i], modality, peer->calling_aet, sop_class);
    if (!any) { /* refused, not dropped: the sender keeps it and shows the failure */
        m->refused_unrouted++;
        log_msg(LOG_WARN, NULL,
                "C-STORE from %s refused (0x0124): no destination takes a %s instance of class %s "
                "(see MUX_DEST_<NAME>_MODALITY, _CALLING, _SOP_CLASS)",
                peer->calling_aet, *modality ? modality : "(no modality)", sop_class);
        return 0x0124; /* Refused: Not authorized */
    }
    uint16_t status = spool_accept(&m->spool, ds, ts, wanted, name, sizeof name, why, sizeof why);
    if (status != 0x0000) {
        m->refused_other++;
        log_msg(LOG_ERROR, NULL, "C-STORE from %s refused (0x%04x): %s", peer->calling_aet, status, why);
        return status;
    }
    m->received++;
    for (unsigned i = 0; i < m->conf.ndests; i++)
        if (wanted[i])
            forward_push(&m->queues[i], name);
    return 0x0000;
}

static void association_done(const cirr_dicom_peer *peer, const char *summary, void *ud)
{
    ((struct mux *)ud)->associations++;
    log_msg(LOG_INFO, NULL, "association %lu from %s@%s: %s", peer->association_id, peer->calling_aet,
            peer->peer_host, summary);
}

/* GET /metrics (Prometheus text) and GET /health. */
static int page(const char *path, struct strbuf *b, const char **type, void *ud)
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
    strbuf_addf(b, "# HELP mux_received_total Instances acknowledged to senders.\n# TYPE mux_received_total counter\n"
                   "mux_received_total %llu\n", (unsigned long long)m->received);
    strbuf_addf(b, "# TYPE mux_refused_total counter\nmux_refused_total{reason=\"spool_full\"} %llu\n"
                   "mux_refused_total{reason=\"error\"} %llu\nmux_refused_total{reason=\"no_destination\"} %llu\n",
                (unsigned long long)m->refused_space, (unsigned long long)m->refused_other,
                (unsigned long long)m->refused_unrouted);
    strbuf_addf(b, "# HELP mux_group_commits_total Group commits made to acknowledge instances.\n"
                   "# TYPE mux_group_commits_total counter\nmux_group_commits_total %llu\n"
                   "# HELP mux_fsyncs_total fsync calls made by the group commits.\n"
                   "# TYPE mux_fsyncs_total counter\nmux_fsyncs_total %llu\n",
                (unsigned long long)m->spool.syncs, (unsigned long long)m->spool.fsyncs);
    strbuf_addf(b, "# TYPE mux_associations_total counter\nmux_associations_total %llu\n",
                (unsigned long long)m->associations);
    strbuf_addf(b, "# TYPE mux_spool_bytes gauge\nmux_spool_bytes %llu\n", spool_bytes(&m->spool));
    strbuf_adds(b, "# TYPE mux_forwarded_total counter\n# TYPE mux_failed_attempts_total counter\n"
                   "# TYPE mux_dead_letters_total counter\n# TYPE mux_queue_depth gauge\n"
                   "# TYPE mux_queue_oldest_seconds gauge\n# TYPE mux_association_failures_total counter\n"
                   "# TYPE mux_destination_out_of_resources_total counter\n"
                   "# TYPE mux_destination_down_seconds gauge\n");
    for (unsigned i = 0; i < m->conf.ndests; i++) {
        struct dest_queue *q = &m->queues[i];
        size_t depth;
        double oldest, down;
        forward_stats(q, &depth, &oldest, &down);
        const char *d = q->dest->name;
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
    return 200;
}

static int list_dead(const struct mux_conf *c)
{
    struct spool s = {.conf = c};
    for (unsigned i = 0; i < c->ndests; i++) {
        char **names;
        size_t n = spool_list(&s, "dead", c->dests[i].name, &names);
        for (size_t k = 0; k < n; k++) {
            char path[1024], reason[600] = "";
            snprintf(path, sizeof path, "%s/dead/%s/%s.reason", c->spool, c->dests[i].name, names[k]);
            FILE *f = fopen(path, "re");
            if (f) {
                if (!fgets(reason, sizeof reason, f))
                    reason[0] = '\0';
                fclose(f);
            }
            reason[strcspn(reason, "\n")] = '\0';
            printf("%s\t%s\t%s\n", c->dests[i].name, names[k], reason);
            free(names[k]);
        }
        free(names);
    }
    return 0;
}

static const char *const *allow_list(const struct mux_conf *c)
{
    return c->allow_any ? NULL : (const char *const *)c->allowed;
}

int main(int argc, char **argv)
{
    static struct mux m;
    char err[512];
    log_prog = "cirr-mux";
    /* 1. Configuration, checked before anything starts. */
    if (mux_conf_load(&m.conf, err, sizeof err) < 0)
        die(100, "%s", err);
    if (argc == 2 && !strcmp(argv[1], "dead"))
        return list_dead(&m.conf);
    if (argc == 3 && !strcmp(argv[1], "requeue")) {
        long n = spool_requeue(m.conf.spool, argv[2]);
        if (n < 0)
            die(100, "no dead letters folder for destination '%s'", argv[2]);
        printf("%ld instance(s) requeued for %s; send SIGHUP to the running cirr-mux (or restart it)\n", n, argv[2]);
        return 0;
    }
    if (argc != 1)
        die(100, "usage: cirr-mux [dead | requeue DEST]");
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    /* 2. The spool: unfinished work from before resumes. */
    if (spool_open(&m.spool, &m.conf, err, sizeof err) < 0)
        die(111, "%s", err);
    if (forward_start(m.queues, &m.conf, &m.spool) < 0)
        die(111, "cannot start the destination workers");
    /* 3. The DICOM port and the metrics page. */
    cirr_dicom_handlers h = {NULL, store, NULL, NULL, NULL, association_done, &m};
    cirr_dicom_scp_config cfg = {m.conf.port, m.conf.aet, allow_list(&m.conf), m.conf.max_associations,
                                 30, 300, 0, NULL, NULL};
    if (cirr_dicom_scp_new(&cfg, &h, &the_scp) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    if (m.conf.http_port && httpd_start(&m.httpd, m.conf.http_port, page, &m) < 0)
        die_sys(111, "cannot serve HTTP on port %u", m.conf.http_port);
    struct sigaction stop = {0}, hup = {0};
    stop.sa_handler = on_stop;
    hup.sa_handler = on_hup;
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGHUP, &hup, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (unsigned i = 0; i < m.conf.ndests; i++)
        log_msg(LOG_INFO, NULL, "destination %s: %s@%s:%u, %u worker(s)", m.conf.dests[i].name, m.conf.dests[i].aet,
                m.conf.dests[i].host, m.conf.dests[i].port, m.conf.dests[i].workers);
    log_msg(LOG_INFO, NULL, "listening as %s on port %u; spool %s", m.conf.aet, m.conf.port, m.conf.spool);
    /* 4. Serve until SIGTERM. A SIGHUP re-reads the queues (after requeue). */
    pthread_t rescan;
    if (pthread_create(&rescan, NULL, rescanner, &m) != 0)
        die(111, "cannot start the rescan thread");
    cirr_dicom_scp_run(the_scp);
    stopping = 1;
    pthread_join(rescan, NULL);
    log_msg(LOG_INFO, NULL, "stopping");
    if (m.conf.http_port)
        httpd_stop(&m.httpd);
    cirr_dicom_scp_free(the_scp);
    forward_stop(m.queues, m.conf.ndests);
    spool_close(&m.spool);
    cirr_dicom_cleanup();
    return 0;
}
