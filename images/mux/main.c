/* cirr-mux: the CIRR's DICOM ingress multiplexer. A C-STORE SCP that
 * acknowledges an instance only once it is durable in the spool, then
 * forwards it to every destination that wants it, each on its own workers,
 * with retries and dead letters (doc/mux.md).
 *
 * Threads: the DICOM port's (and one per association), one per worker of
 * each destination, the metrics page's, and this one, which only waits for
 * signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread and read
 * here, so no code ever runs in a signal handler. */
#include "cirr_dicom.h"
#include "cirr_dicom_forward.h"
#include "deadletter.h"
#include "forward.h"
#include "log.h"
#include "metrics.h"
#include "mux.h"
#include "receive.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: cirr-mux [dead | requeue DEST | --help]";

static int help(void)
{
    printf("%s\n\n"
           "  cirr-mux                 run: receive, spool and forward, until SIGTERM or SIGINT;\n"
           "                           SIGHUP re-reads the queues\n"
           "  cirr-mux dead            list dead letters: destination, entry, reason\n"
           "  cirr-mux requeue DEST    move DEST's dead letters back into its queue;\n"
           "                           then SIGHUP the running mux (it re-reads the queues)\n"
           "  cirr-mux --help          this text\n\n"
           "Exit codes: 0 stopped by SIGTERM or SIGINT; 100 bad configuration or usage (one line\n"
           "names the variable); 111 cannot listen, or another system failure.\n\n",
           usage);
    mux_conf_help(stdout);
    return 0;
}

/* The lib/dicom linked in must speak the API this program was built for. */
static void check_dicom_api(void)
{
    unsigned linked = cirr_dicom_api_version();
    if (linked != CIRR_DICOM_API_VERSION)
        die(111, "lib/dicom API version %u linked in, but cirr-mux was built for version %u: rebuild it", linked,
            (unsigned)CIRR_DICOM_API_VERSION);
}

/* cirr-mux dead | requeue DEST, beside a running mux; the exit code. */
static int command(const struct mux_conf *c, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "dead"))
        return deadletter_list(c);
    if (argc == 3 && !strcmp(argv[1], "requeue"))
        return deadletter_requeue(c, argv[2]);
    die(100, "%s", usage);
}

/* Block the signals the loop reads (threads started later inherit the
 * mask) and ignore SIGPIPE (a peer that went away is an error return). */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die_sys(111, "cannot block signals");
}

static void *scp_thread(void *scp)
{
    cirr_dicom_scp_run(scp); /* returns once cirr_dicom_scp_stop was called */
    return NULL;
}

/* The loop: until SIGTERM or SIGINT; SIGHUP re-reads the queues (after
 * cirr-mux requeue). */
static void wait_for_stop(struct mux *m, const sigset_t *set)
{
    for (;;) {
        int sig = sigwaitinfo(set, NULL);
        if (sig == SIGTERM || sig == SIGINT)
            return;
        if (sig == SIGHUP) {
            log_msg(LOG_INFO, NULL, "SIGHUP: re-reading the queues");
            forward_rescan(m->queues, m->conf.ndests);
        } else if (sig < 0 && errno != EINTR) {
            die_sys(111, "cannot wait for signals");
        }
    }
}

static void log_start(const struct mux_conf *c)
{
    for (unsigned i = 0; i < c->ndests; i++) {
        const struct mux_dest *d = &c->dests[i];
        log_msg(LOG_INFO, NULL, "destination %s: %s@%s:%u, %u worker(s)", d->peer.name, d->peer.aet, d->peer.host,
                d->peer.port, d->workers);
    }
    log_msg(LOG_INFO, NULL, "listening as %s on port %u; spool %s", c->aet, c->port, c->spool);
}

/* In the reverse order of the start: the port first, so that nothing new
 * arrives while the workers stop. */
static void shut_down(struct mux *m, cirr_dicom_scp *scp, pthread_t scp_runner)
{
    cirr_dicom_scp_stop(scp);
    pthread_join(scp_runner, NULL);
    log_msg(LOG_INFO, NULL, "stopping");
    if (m->conf.http_port)
        httpd_stop(&m->httpd);
    cirr_dicom_scp_free(scp);
    forward_stop(m->queues, m->conf.ndests);
    spool_close(&m->spool);
    mux_conf_free(&m->conf);
    cirr_dicom_encoders_cleanup();
    cirr_dicom_cleanup();
}

int main(int argc, char **argv)
{
    static struct mux m;
    char err[512];
    sigset_t signals;
    cirr_dicom_scp *scp;
    pthread_t scp_runner;
    log_prog = "cirr-mux";
    /* 1. --help needs nothing else; lib/dicom must be the one we were built for. */
    if (argc == 2 && !strcmp(argv[1], "--help"))
        return help();
    check_dicom_api();
    /* 2. Configuration, checked before anything starts; the dead-letter commands. */
    if (mux_conf_load(&m.conf, err, sizeof err) < 0)
        die(100, "%s", err);
    if (argc > 1) {
        int rc = command(&m.conf, argc, argv);
        mux_conf_free(&m.conf);
        return rc;
    }
    /* 3. Signals blocked before any thread starts: all go to step 6. */
    block_signals(&signals);
    /* 4. lib/dicom, the spool (unfinished work from before resumes), the workers. */
    if (cirr_dicom_init() != CIRR_DICOM_OK || cirr_dicom_encoders_init() != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    if (spool_open(&m.spool, &m.conf, err, sizeof err) < 0)
        die(111, "%s", err);
    if (forward_start(m.queues, &m.conf, &m.spool) < 0)
        die(111, "cannot start the destination workers");
    /* 5. The DICOM port, served on its own thread, and the metrics page. */
    if (receive_listen(&m, &scp) != CIRR_DICOM_OK)
        die(111, "%s", cirr_dicom_last_error());
    if (m.conf.http_port && httpd_start(&m.httpd, m.conf.http_port, metrics_page, &m) < 0)
        die_sys(111, "cannot serve HTTP on port %u", m.conf.http_port);
    if (pthread_create(&scp_runner, NULL, scp_thread, scp) != 0)
        die(111, "cannot start the DICOM port's thread");
    log_start(&m.conf);
    /* 6. Serve until SIGTERM or SIGINT. */
    wait_for_stop(&m, &signals);
    /* 7. Stop taking instances (running associations finish), then the rest. */
    shut_down(&m, scp, scp_runner);
    return 0;
}
