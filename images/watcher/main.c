/* cirr-watcher: follows Orthanc's /changes and sweeps the PACS, and indexes
 * what it finds (studies, series, instances, dose reports) into Splunk's
 * HTTP Event Collector and PostgreSQL, at least once, through an on-disk
 * outbox (doc/watcher.md).
 *
 * Threads: one per route (its source), one per sink (its sender), the
 * metrics page's, and this one, which only waits for signals: SIGTERM and
 * SIGINT are blocked in every thread and read here. */
#include "cirr_dicom.h"
#include "log.h"
#include "folder.h"
#include "metrics.h"
#include "orthanc.h"
#include "pacs.h"
#include "sink.h"
#include "watcher.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] = "usage: cirr-watcher [--help]";

static int help(void)
{
    printf("%s\n\n"
           "  cirr-watcher           run the routes until SIGTERM or SIGINT\n"
           "  cirr-watcher --help    this text\n\n"
           "Routes (WATCH_ROUTES, ';' between them, or WATCH_ROUTES_FILE, one a line):\n"
           "  index_series | index_studies | index_instances | index_pacs | upload_files (built in),\n"
           "  NAME: SOURCE [where KEYWORD=V1|V2] -> index:INDEX, or NAME: folder:PATH -> orthanc\n"
           "  SOURCE: orthanc:instances, orthanc:series, orthanc:studies or pacs\n\n"
           "Exit codes: 0 stopped by SIGTERM or SIGINT; 100 bad configuration or usage (one line\n"
           "names the variable); 111 cannot start (state folder, HTTP port, threads).\n\n",
           usage);
    watch_conf_help(stdout);
    return 0;
}

/* The lib/dicom linked in must speak the API this program was built for. */
static void check_dicom_api(void)
{
    if (!cirr_dicom_check_version())
        die(111, "lib/dicom API version %u linked in, but cirr-watcher was built for version %u: rebuild it",
            cirr_dicom_api_version(), (unsigned)CIRR_DICOM_API_VERSION);
}

/* SIGTERM and SIGINT are blocked in every thread (threads inherit the
 * mask) and read from a signalfd by main alone; SIGPIPE is ignored (a peer
 * that went away is an error return). */
static int stop_signals(void)
{
    sigset_t set;
    int fd = -1;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
        (fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
        die_sys(111, "cannot block signals");
    return fd;
}

/* STATE/cursor and the outbox of each configured sink. */
static void open_state(struct watcher *w)
{
    char dir[600], err[512];
    const char *names[SINK_COUNT];
    unsigned n = 0;
    snprintf(dir, sizeof dir, "%s/cursor", w->conf.state);
    if (outbox_mkdirs(dir) < 0)
        die_sys(111, "cannot create %s", dir);
    w->sink_slot[SINK_HEC] = *w->conf.hec_url ? (int)n : -1;
    if (*w->conf.hec_url)
        names[n++] = "hec";
    w->sink_slot[SINK_PG] = *w->conf.pg ? (int)n : -1;
    if (*w->conf.pg)
        names[n++] = "pg";
    if (outbox_open(&w->outbox, w->conf.state, names, n, w->conf.outbox_mb * 1024 * 1024, err, sizeof err) < 0)
        die(111, "%s", err);
}

static void start_sinks(struct watcher *w)
{
    if (w->sink_slot[SINK_HEC] >= 0) {
        void *h = hec_new(w);
        if (!h || sink_start(w, SINK_HEC, &hec_ops, h) < 0)
            die(111, "cannot start the HEC sink");
        log_msg(LOG_INFO, "hec", "sending to %s%s", w->conf.hec_url, w->conf.hec_ack ? " with acknowledgement" : "");
        if (!strncmp(w->conf.hec_url, "http://", 7))
            log_msg(LOG_WARN, "hec", "WATCH_HEC_URL is plain http: the token travels unencrypted");
        else if (w->conf.hec_insecure)
            log_msg(LOG_WARN, "hec", "WATCH_HEC_INSECURE: HEC's certificate is not verified");
    }
    if (w->sink_slot[SINK_PG] >= 0) {
        void *p = pgsink_new(w);
        if (!p || sink_start(w, SINK_PG, &pgsink_ops, p) < 0)
            die(111, "cannot start the PostgreSQL sink");
    }
}

static void start_sources(struct watcher *w)
{
    for (unsigned r = 0; r < w->conf.nroutes; r++) {
        enum source_kind k = w->conf.routes[r].source;
        int rc = k == SOURCE_PACS ? pacs_start(w, r) : k == SOURCE_FOLDER ? folder_start(w, r) : orthanc_start(w, r);
        if (rc < 0)
            die(111, "cannot start route %s", w->conf.routes[r].name);
    }
}

static void wait_for_stop(int signals)
{
    struct signalfd_siginfo si;
    while (read(signals, &si, sizeof si) != (ssize_t)sizeof si)
        if (errno != EINTR)
            die_sys(111, "cannot read the signals");
    log_msg(LOG_INFO, NULL, "%s: stopping", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    close(signals);
}

/* Sources first (nothing new enters the outbox), then the senders: what
 * waits in the outbox stays there for the next start. */
static void shut_down(struct watcher *w)
{
    atomic_store(&w->stopping, 1);
    outbox_wake(&w->outbox);
    for (unsigned r = 0; r < w->conf.nroutes; r++)
        pthread_join(w->route_threads[r], NULL);
    for (int s = 0; s < SINK_COUNT; s++)
        if (w->sink_slot[s] >= 0)
            pthread_join(w->sink_threads[s], NULL);
    if (w->conf.http_port)
        httpd_stop(&w->httpd);
    outbox_close(&w->outbox);
    watch_conf_free(&w->conf);
    cirr_dicom_cleanup();
    curl_global_cleanup();
}

/* cirr-watcher takes no argument but --help. */
static int arguments(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return help();
    die(100, "%s", usage);
}

/* The settings and secrets, all checked before anything starts. */
static void configure(struct watch_conf *c)
{
    char err[512];
    if (watch_conf_load(c, err, sizeof err) < 0)
        die(100, "%s", err);
}

int main(int argc, char **argv)
{
    static struct watcher w;
    int signals;
    log_prog = "cirr-watcher";
    /* 1. Arguments: --help needs nothing else. */
    if (argc > 1)
        return arguments(argc, argv);
    /* 2. lib/dicom must be the one we were built for; then the configuration. */
    check_dicom_api();
    configure(&w.conf);
    /* 3. Signals blocked before any thread starts: all go to step 6. */
    signals = stop_signals();
    /* 4. Libraries, the state folder and the outbox (batches left from before are sent first). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || cirr_dicom_init() != CIRR_DICOM_OK)
        die(111, "cannot initialise libcurl or lib/dicom");
    open_state(&w);
    /* 5. The metrics page, the sinks' senders, then the sources. */
    if (w.conf.http_port && httpd_start(&w.httpd, w.conf.http_port, metrics_page, &w) < 0)
        die_sys(111, "cannot serve HTTP on port %u", w.conf.http_port);
    start_sinks(&w);
    start_sources(&w);
    log_msg(LOG_INFO, NULL, "%u route(s) running; state in %s", w.conf.nroutes, w.conf.state);
    /* 6. Run until SIGTERM or SIGINT. */
    wait_for_stop(signals);
    /* 7. Stop reading, then stop sending; the outbox keeps the rest. */
    shut_down(&w);
    return 0;
}
