/* cirr-mockpacs: a test PACS. It answers C-ECHO, C-FIND, C-MOVE, C-GET and
 * C-STORE for a deterministic catalog of generated studies (and for what it
 * received), pushes new studies in push mode, and serves a status page.
 *
 * Exit codes: 0 stopped by SIGTERM/SIGINT; 100 bad configuration (one line
 * names the variable); 111 cannot listen or a system failure. */
#include "log.h"
#include "mock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

atomic_int mock_stopping;
static cirr_dicom_scp *the_scp;

static void on_signal(int sig)
{
    (void)sig;
    mock_stopping = 1; /* only flags here: the loops notice */
    if (the_scp)
        cirr_dicom_scp_stop(the_scp);
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
    const struct destination *d = site_destination(&((struct mock *)ud)->site, aet);
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

/* MOCK_ALLOW=A,B as a NULL-terminated list (static storage). */
static const char *const *allow_list(char *text)
{
    static const char *list[64];
    unsigned n = 0;
    for (char *save = NULL, *t = strtok_r(text, ",", &save); t && n < 63; t = strtok_r(NULL, ",", &save))
        list[n++] = t;
    list[n] = NULL;
    return n ? list : NULL;
}

int main(void)
{
    static struct mock m;
    char err[512];
    log_prog = "cirr-mockpacs";
    /* 1. Configuration, checked before anything starts. */
    if (site_load(&m.site, err, sizeof err) < 0)
        die(100, "%s", err);
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    /* 2. The catalog and the received instances. */
    clock_t t0 = clock();
    if (catalog_build(&m.catalog, &m.site) < 0)
        die(111, "out of memory building %u studies", m.site.studies);
    log_msg(LOG_INFO, NULL, "catalog: %u studies of %u patients (seed %llu) in %.2fs", m.catalog.nstudies,
            m.site.patients, (unsigned long long)m.site.seed, (double)(clock() - t0) / CLOCKS_PER_SEC);
    if (store_open(&m.store, m.site.store_dir, err, sizeof err) < 0)
        die(111, "%s", err);
    /* 3. The DICOM port, then the status page and push mode. */
    cirr_dicom_handlers h = {echo, store, mock_find, mock_retrieve, destination, association_done, &m};
    cirr_dicom_scp_config cfg = {m.site.port, m.site.aet, allow_list(m.site.allowed), m.site.max_associations,
                                 30, 300, 0, NULL, NULL};
    if (cirr_dicom_scp_new(&cfg, &h, &the_scp) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (m.site.http_port && http_start(&m, m.site.http_port) < 0)
        die_sys(111, "cannot serve HTTP on port %u", m.site.http_port);
    if (*m.site.push_dest && push_start(&m) < 0)
        die_sys(111, "cannot start push mode");
    log_msg(LOG_INFO, NULL, "listening as %s on port %u%s", m.site.aet, m.site.port,
            *m.site.allowed ? " (calling AE titles restricted by MOCK_ALLOW)" : "");
    /* 4. Serve until SIGTERM; running associations finish. */
    cirr_dicom_scp_run(the_scp);
    mock_stopping = 1;
    if (m.has_http)
        httpd_stop(&m.httpd);
    if (m.has_push)
        pthread_join(m.push_thread, NULL);
    log_msg(LOG_INFO, NULL, "stopped");
    cirr_dicom_scp_free(the_scp);
    store_close(&m.store);
    catalog_free(&m.catalog);
    cirr_dicom_cleanup();
    return 0;
}
