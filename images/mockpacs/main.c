/* cirr-mockpacs: a test PACS. It answers C-ECHO, C-FIND, C-MOVE, C-GET and
 * C-STORE for a deterministic catalog of generated studies (and for what it
 * received), pushes new studies in push mode, and serves a status page.
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT; 100 bad configuration (one line
 * names the variable) or usage; 111 cannot listen or a system failure. */
#include "clock.h"
#include "list.h"
#include "log.h"
#include "mock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] = "usage: cirr-mockpacs [--help]";

static int help(void)
{
    printf("%s\n\n"
           "A test PACS: answers C-ECHO, C-FIND, C-MOVE, C-GET and C-STORE for a catalog of\n"
           "generated studies (and for what it received), pushes new studies to a destination\n"
           "in push mode, and serves GET /health and GET /status. It runs until SIGTERM or\n"
           "SIGINT; running associations finish. Configured by the environment only.\n\n"
           "Exit codes: 0 stopped by SIGTERM or SIGINT; 100 bad configuration or usage (one\n"
           "line names the variable); 111 cannot listen, or another system failure.\n\n",
           usage);
    site_help(stdout);
    return 0;
}

static uint16_t echo(const cirr_dicom_peer *peer, void *ud)
{
    (void)peer;
    ((struct mock *)ud)->last_activity = time(NULL);
    return 0x0000;
}

static uint16_t store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    struct mock *m = ud;
    char why[512];
    (void)ts;
    uint16_t status = store_put(&m->store, ds, why, sizeof why);
    if (status != 0)
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0x%04x): %s", peer->calling_aet, status, why);
    else
        m->stored++;
    m->last_activity = time(NULL);
    return status;
}

static int destination(const char *aet, char *host, size_t cap, unsigned *port, void *ud)
{
    const struct peer *d = site_destination(&((struct mock *)ud)->site, aet);
    if (!d) {
        log_msg(LOG_WARN, NULL, "C-MOVE to unknown destination '%s' (set MOD_<NAME>=AET,host,port)", aet);
        return -1;
    }
    snprintf(host, cap, "%s", d->host);
    *port = d->port;
    return 0;
}

static void association_done(const cirr_dicom_peer *peer, const char *summary, void *ud)
{
    ((struct mock *)ud)->associations++;
    log_msg(LOG_INFO, NULL, "association %lu from %s@%s: %s", peer->association_id, peer->calling_aet,
            peer->peer_host, summary);
}

/* SIGTERM and SIGINT are blocked in every thread (threads inherit the mask)
 * and read by the loop in main alone; a peer that went away is an error
 * return, not SIGPIPE. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die_sys(111, "cannot block signals");
}

/* The DICOM port's thread. cirr_dicom_scp_run returns once stopped; should
 * it fail instead, main's loop is told the way a user would tell it. */
static void *serve(void *scp)
{
    if (cirr_dicom_scp_run(scp) != CIRR_DICOM_OK) {
        log_msg(LOG_ERROR, NULL, "DICOM port: %s", cirr_dicom_last_error());
        kill(getpid(), SIGTERM);
    }
    return NULL;
}

/* The loop: wait for SIGTERM or SIGINT. */
static void wait_for_stop(const sigset_t *set)
{
    int sig;
    while ((sig = sigwaitinfo(set, NULL)) < 0)
        if (errno != EINTR)
            die_sys(111, "cannot wait for signals");
    log_msg(LOG_INFO, NULL, "%s: stopping; running associations finish", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

/* The catalog and the instances received before. */
static void load_studies(struct mock *m)
{
    char err[512];
    uint64_t t0 = clock_mono_ms();
    if (catalog_build(&m->catalog, &m->site) < 0)
        die(111, "out of memory building %u studies", m->site.studies);
    log_msg(LOG_INFO, NULL, "catalog: %u studies of %u patients (seed %llu) in %.2fs", m->catalog.nstudies,
            m->site.patients, (unsigned long long)m->site.seed, (double)(clock_mono_ms() - t0) / 1000);
    if (store_open(&m->store, m->site.store_dir, err, sizeof err) < 0)
        die(111, "%s", err);
}

/* Open the DICOM port (calling AE titles in allowed, when any). */
static cirr_dicom_scp *listen_dicom(struct mock *m, char **allowed)
{
    cirr_dicom_handlers h = {echo, store, mock_find, mock_retrieve, destination, association_done, m};
    cirr_dicom_scp_config cfg = {m->site.port, m->site.aet, *allowed ? (const char *const *)allowed : NULL,
                                 m->site.max_associations, 30, m->site.limits.idle_timeout_s, 0, NULL, NULL};
    cirr_dicom_scp_limits limits = cirr_dicom_scp_env_limits(&m->site.limits);
    cirr_dicom_scp *scp;
    if (cirr_dicom_scp_new(&cfg, &h, &scp) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    if (cirr_dicom_scp_set_limits(scp, &limits) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    return scp;
}

int main(int argc, char **argv)
{
    static struct mock m;
    char err[512];
    sigset_t signals;
    pthread_t server;
    log_prog = "cirr-mockpacs";
    /* 1. Arguments; lib/dicom must be the one we were built for; the
     *    configuration, checked before anything starts. */
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return help();
    if (argc > 1)
        die(100, "%s", usage);
    if (cirr_dicom_api_version() != CIRR_DICOM_API_VERSION)
        die(111, "lib/dicom API version %u linked in, but cirr-mockpacs was built for version %u: rebuild it",
            cirr_dicom_api_version(), (unsigned)CIRR_DICOM_API_VERSION);
    if (site_load(&m.site, err, sizeof err) < 0)
        die(100, "%s", err);
    /* 2. Signals blocked before any thread starts: all go to step 4. */
    block_signals(&signals);
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    load_studies(&m);
    /* 3. The DICOM port (a port in use stops us here), the status page,
     *    push mode. */
    char **allowed = list_split(m.site.allowed, ',');
    cirr_dicom_scp *scp = listen_dicom(&m, allowed);
    if (m.site.http_port && http_start(&m, m.site.http_port) < 0)
        die_sys(111, "cannot serve HTTP on port %u", m.site.http_port);
    if (*m.site.push_dest && push_start(&m) < 0)
        die_sys(111, "cannot start push mode");
    /* 4. Serve the DICOM port on its own thread until SIGTERM or SIGINT. */
    if (pthread_create(&server, NULL, serve, scp) != 0)
        die(111, "cannot start the DICOM port's thread");
    log_msg(LOG_INFO, NULL, "listening as %s on port %u%s", m.site.aet, m.site.port,
            *allowed ? " (calling AE titles restricted by MOCK_ALLOW)" : "");
    wait_for_stop(&signals);
    /* 5. Stop accepting and pushing at once; then wait for the running
     *    associations and the study in flight to finish. */
    cirr_dicom_scp_stop(scp);
    push_stop(&m);
    pthread_join(server, NULL);
    if (m.has_http)
        httpd_stop(&m.httpd);
    log_msg(LOG_INFO, NULL, "stopped");
    cirr_dicom_scp_free(scp);
    list_free(allowed);
    store_close(&m.store);
    catalog_free(&m.catalog);
    cirr_dicom_cleanup();
    return 0;
}
