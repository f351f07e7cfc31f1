/* cirr-bridge: the CIRR's query/retrieve bridge to the PACS. Callers ask
 * the bridge; the bridge asks the PACS as its own AE title: C-FIND answers
 * stream back as they come, C-MOVE and C-GET instances are relayed as they
 * arrive, at most BRIDGE_MAX_UPSTREAM associations to the PACS at once
 * (doc/bridge.md).
 *
 * Threads: the DICOM port's (and one per association), a mover per
 * retrieve, the HTTP page's, and this one, which only waits for signals:
 * SIGTERM and SIGINT are blocked in every thread and read here. */
#include "bridge.h"
#include "cirr_dicom.h"
#include "find.h"
#include "http.h"
#include "log.h"
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: cirr-bridge [--help]";

static int help(void)
{
    printf("%s\n\n"
           "  cirr-bridge              run: relay C-FIND, C-MOVE and C-GET to the upstream PACS,\n"
           "                           until SIGTERM or SIGINT\n"
           "  cirr-bridge --help       this text\n\n"
           "Exit codes: 0 stopped by SIGTERM or SIGINT; 100 bad configuration or usage (one line\n"
           "names the variable); 111 cannot listen, or another system failure.\n\n",
           usage);
    bridge_conf_help(stdout);
    return 0;
}

/* SIGTERM and SIGINT go to the loop in main only (threads started later
 * inherit the mask); SIGPIPE is ignored: a peer gone is an error return. */
static void block_signals(sigset_t *set)
{
    int failed = sigemptyset(set) || sigaddset(set, SIGTERM) || sigaddset(set, SIGINT) ||
                 pthread_sigmask(SIG_BLOCK, set, NULL) || signal(SIGPIPE, SIG_IGN) == SIG_ERR;
    if (failed)
        die_sys(111, "cannot block signals");
}

static void association_done(const cirr_dicom_peer *peer, const char *summary, void *ud)
{
    char aet[LOG_ESCAPED_SIZE(16)], host[LOG_ESCAPED_SIZE(63)], what[LOG_ESCAPED_SIZE(640)];
    ((struct bridge *)ud)->stats.associations++;
    log_msg(LOG_INFO, NULL, "association %lu from %s@%s: %s", peer->association_id,
            log_escape(aet, sizeof aet, peer->calling_aet), log_escape(host, sizeof host, peer->peer_host),
            log_escape(what, sizeof what, summary));
}

static cirr_dicom_status listen_dicom(struct bridge *b, cirr_dicom_scp **scp)
{
    static const unsigned acse_timeout_s = 30;
    const struct bridge_conf *c = &b->conf;
    cirr_dicom_handlers h = {.store = relay_store, .find = find_relay, .retrieve = relay_retrieve,
                             .destination = relay_destination, .association_done = association_done, .ud = b};
    cirr_dicom_scp_config cfg = {.port = c->port,
                                 .aet = c->aet,
                                 .allowed = c->scp_allowed,
                                 .max_associations = c->max_associations,
                                 .acse_timeout = acse_timeout_s,
                                 .dimse_timeout = c->timeout_s,
                                 .max_pdu = 131072}; /* the largest DCMTK takes: fewer reads per instance */
    return cirr_dicom_scp_new(&cfg, &h, scp);
}

static void *scp_thread(void *scp)
{
    cirr_dicom_scp_run(scp); /* returns once cirr_dicom_scp_stop was called */
    return NULL;
}

/* Until SIGTERM or SIGINT; once a second, the upstream associations idle
 * for too long are released. */
static void wait_for_stop(struct bridge *b, const sigset_t *set)
{
    const struct timespec second = {1, 0};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &second);
        if (sig == SIGTERM || sig == SIGINT)
            return;
        if (sig < 0 && errno != EINTR && errno != EAGAIN)
            die_sys(111, "cannot wait for signals");
        upstream_reap(b, 0);
    }
}

static void log_start(const struct bridge_conf *c)
{
    const struct peer *u = c->upstream;
    log_msg(LOG_INFO, NULL, "upstream %s: %s@%s:%u, at most %u association(s); %u peer(s) as destinations",
            u->name, u->aet, u->host, u->port, c->max_upstream, c->npeers);
    log_msg(LOG_INFO, NULL, "listening as %s on port %u; callers: %s", c->aet, c->port,
            c->allow_any ? "any (BRIDGE_ALLOW=*)" : c->allow);
}

/* --help needs nothing else; lib/dicom must be the one we were built
 * for; the configuration is checked whole before anything starts. */
static void configure(struct bridge *b, int argc, char **argv)
{
    char err[512];
    if (argc == 2 && !strcmp(argv[1], "--help"))
        exit(help());
    if (argc > 1)
        die(100, "%s", usage);
    if (!cirr_dicom_check_version())
        die(111, "lib/dicom of API version %u linked in, cirr-bridge built for %u: rebuild it",
            cirr_dicom_api_version(), (unsigned)CIRR_DICOM_API_VERSION);
    if (bridge_conf_load(&b->conf, err, sizeof err) < 0)
        die(100, "%s", err);
}

/* lib/dicom, the throttle, the retrieves' registry, the counters, the
 * cache; then the DICOM port (on its own thread) and the HTTP port. */
static void start(struct bridge *b)
{
    char err[512];
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    throttle_init(&b->throttle, b->conf.max_upstream);
    pthread_mutex_init(&b->pool.mu, NULL);
    jobs_init(&b->jobs);
    stats_init(&b->stats);
    apijobs_init(&b->apijobs);
    if (b->conf.cache_mb && cache_open(&b->cache, b->conf.cache_dir, b->conf.cache_mb << 20, err, sizeof err) < 0)
        die(100, "%s", err);
    if (listen_dicom(b, &b->scp) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    /* a find waits on the PACS: on workers (as many as upstream
     * associations), so that /health is answered meanwhile */
    if (b->conf.http_port &&
        httpd_start_offload(&b->httpd, b->conf.http_port, http_page, http_waits_on_the_pacs, b->conf.max_upstream, b) < 0)
        die_sys(111, "cannot serve HTTP on port %u", b->conf.http_port);
    if (pthread_create(&b->scp_runner, NULL, scp_thread, b->scp) != 0)
        die(111, "cannot start the DICOM port's thread");
    log_start(&b->conf);
}

/* Stop taking associations (running ones, the page's retrieves among
 * them, finish), then the rest, in the reverse order of the start. */
static void shut_down(struct bridge *b)
{
    log_msg(LOG_INFO, NULL, "stopping; running requests finish");
    cirr_dicom_scp_stop(b->scp);
    pthread_join(b->scp_runner, NULL);
    if (b->conf.http_port)
        httpd_stop(&b->httpd);
    apijobs_stop(&b->apijobs); /* their associations ended with the port's */
    upstream_reap(b, 1);
    pthread_mutex_destroy(&b->pool.mu);
    cirr_dicom_scp_free(b->scp);
    cirr_dicom_cleanup();
    if (b->conf.cache_mb)
        cache_close(&b->cache);
    stats_destroy(&b->stats);
    jobs_destroy(&b->jobs);
    throttle_destroy(&b->throttle);
    bridge_conf_free(&b->conf);
}

int main(int argc, char **argv)
{
    static struct bridge b;
    sigset_t signals;
    log_prog = "cirr-bridge";
    /* 1. Arguments, lib/dicom's version, the configuration. */
    configure(&b, argc, argv);
    /* 2. Signals blocked before any thread starts: all go to step 4. */
    block_signals(&signals);
    /* 3. Everything else, each port on its own thread. */
    start(&b);
    /* 4. Serve until SIGTERM or SIGINT. */
    wait_for_stop(&b, &signals);
    /* 5. Stop. */
    shut_down(&b);
    return 0;
}
