/* relay.c: see relay.h. Threads: the caller's association thread runs the
 * handler and then, inside lib/dicom, fetch() for each instance; a mover
 * thread holds the upstream C-MOVE; the upstream's C-STOREs arrive on
 * association threads of the bridge's own SCP (relay_store). */
#include "relay.h"

#include "bridge.h"
#include "cached.h"
#include "cirr_dicom_final_status.h"
#include "cirr_dicom_relay.h"
#include "clock.h"
#include "listing.h"
#include "log.h"
#include "thread_nice.h"
#include "upstream.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retrieve {
    struct bridge *b;
    struct job *job;
    cirr_dicom_scu *scu;
    cirr_dicom_dataset *query;
    const char *move_model;
    char caller[LOG_ESCAPED_SIZE(16)]; /* escaped, for the log */
    const char *what;                  /* "C-MOVE" or "C-GET" */
    char study[65];                    /* the study the cache keeps; "": none */
    pthread_t mover;
    int moving; /* the mover runs */
    /* the upstream's final answer (written by the mover before jobs_upstream_done) */
    cirr_dicom_status up_result;
    uint16_t up_status;
    unsigned up_completed, up_failed;
    unsigned handed, missing, timed_out;
    uint64_t started;
};

/* The threads taking in what the upstream sends (its C-STOREs, a mover
 * reading its answers) run at BRIDGE_UPSTREAM_NICE: when the CPU is short,
 * handing instances on to the destination goes first, and the upstream's
 * instances wait in the window (the upstream's side has that slack; the
 * caller waits for the destination's). doc/bridge.md has what it gains. */
static void lower_priority(const struct bridge *b)
{
    static atomic_int told;
    if (thread_nice(b->conf.upstream_nice) < 0 && !atomic_exchange(&told, 1))
        log_msg(LOG_WARN, NULL, "cannot lower the upstream threads' priority (BRIDGE_UPSTREAM_NICE): %s",
                strerror(errno));
}

static void *mover(void *arg)
{
    struct retrieve *r = arg;
    lower_priority(r->b);
    cirr_dicom_scu_set_message_id(r->scu, r->job->move_id);
    r->up_result = cirr_dicom_scu_move(r->scu, r->move_model, r->query, r->b->conf.aet, &r->up_completed,
                                       &r->up_failed, &r->up_status);
    if (r->up_result != CIRR_DICOM_OK) {
        char why[LOG_ESCAPED_SIZE(256)];
        r->b->stats.upstream_failures++;
        log_msg(LOG_WARN, NULL, "%s from %s: the upstream's C-MOVE failed: %s", r->what, r->caller,
                log_escape(why, sizeof why, cirr_dicom_last_error()));
    }
    jobs_upstream_done(&r->b->jobs, r->job);
    return NULL;
}

/* lib/dicom asks for the instances in order; the next to arrive is given,
 * whichever it is. A failure here counts that sub-operation failed. */
static cirr_dicom_status fetch(void *ctx, size_t i, cirr_dicom_dataset **out)
{
    struct retrieve *r = ctx;
    int timed_out = 0;
    size_t bytes = 0;
    (void)i;
    if (r->timed_out || jobs_next(&r->b->jobs, r->job, r->b->conf.timeout_s * 1000u, out, &bytes, &timed_out) < 0) {
        if (timed_out && !r->timed_out)
            log_msg(LOG_WARN, NULL, "%s from %s: nothing arrived for BRIDGE_TIMEOUT (%u s): the rest fail",
                    r->what, r->caller, r->b->conf.timeout_s);
        r->timed_out |= timed_out;
        r->missing++;
        r->b->stats.instances_failed++;
        return CIRR_DICOM_ERROR_NOT_FOUND;
    }
    r->b->stats.bytes_relayed += bytes;
    r->handed++;
    r->b->stats.instances_relayed++;
    return CIRR_DICOM_OK;
}

static void spent(void *ctx, cirr_dicom_dataset *ds)
{
    struct retrieve *r = ctx;
    jobs_spent(&r->b->jobs, r->job, ds);
}

static const char *class_of(void *ctx, size_t i)
{
    struct retrieve *r = ctx;
    return i < r->job->n && r->job->items[i].sop_class[0] ? r->job->items[i].sop_class : NULL;
}

/* answer: the failure status the caller gets, 0 when lib/dicom's counts
 * decide it. */
static void log_end(const struct retrieve *r, uint16_t answer)
{
    char failed[64] = "";
    if (answer)
        snprintf(failed, sizeof failed, "; answered 0x%04X: the upstream failed", answer);
    log_msg(LOG_INFO, NULL,
            "%s from %s done: %zu listed, %u handed on, %u never arrived; upstream %s, status 0x%04x "
            "(%u completed, %u failed); %.1f s%s",
            r->what, r->caller, r->job->n, r->handed, r->missing,
            r->up_result == CIRR_DICOM_OK ? "ended" : "broke", r->up_status, r->up_completed, r->up_failed,
            (double)(clock_mono_ms() - r->started) / 1000.0, failed);
}

/* The upstream's share of the final status, decided once its move ended:
 * 0 when lib/dicom's counts decide. Nothing arrived at all (it refused the
 * move, answered with no sub-operations, or broke before the first): its
 * own failure status, else 0xA702 (refused: out of resources, unable to
 * perform sub-operations). Some never arrived: 0xA702 with the counts.
 * 0xB000 stays for what the destination refused. */
static uint16_t upstream_verdict(const struct retrieve *r)
{
    if (!r->missing)
        return 0;
    if (r->job->arrived)
        return 0xA702;
    uint16_t status = r->up_result == CIRR_DICOM_OK && r->up_status >= 0xA000 && r->up_status != 0xB000
                          ? r->up_status : 0xA702;
    log_msg(LOG_WARN, NULL, "%s from %s: the upstream moved nothing (status 0x%04x, %s): answered 0x%04x", r->what,
            r->caller, r->up_status, r->up_result == CIRR_DICOM_OK ? "ended" : "broke", status);
    return status;
}

/* After the last sub-operation (or a cancel): the upstream's move is
 * waited for (instances still arriving are refused now), then freed. */
static void release(void *ctx)
{
    struct retrieve *r = ctx;
    jobs_remove(&r->b->jobs, r->job);
    pthread_join(r->mover, NULL);
    uint16_t answer = upstream_verdict(r);
    if (answer)
        cirr_dicom_retrieve_final_status(answer);
    log_end(r, answer);
    if (r->study[0])
        cached_finish(r->b, r->study, r->job,
                      r->up_result == CIRR_DICOM_OK && r->up_status == 0x0000 && !r->up_failed && !r->missing);
    upstream_close(r->b, r->scu, r->up_result == CIRR_DICOM_OK);
    cirr_dicom_dataset_free(r->query);
    job_free(r->job);
    free(r);
}

/* A retrieve that ends before lib/dicom has it: the listing failed or
 * found nothing while the upstream already moved (its instances are
 * refused now, and its move waited for), or it never started. */
static void discard(struct retrieve *r)
{
    if (r->moving) {
        jobs_remove(&r->b->jobs, r->job);
        pthread_join(r->mover, NULL);
        if (r->study[0])
            cached_finish(r->b, r->study, r->job, 0);
    }
    if (r->scu)
        upstream_close(r->b, r->scu, r->moving && r->up_result == CIRR_DICOM_OK);
    cirr_dicom_dataset_free(r->query);
    job_free(r->job);
    free(r);
}

/* The instances the query names, asked of the upstream over scu. 0, or
 * -1 (logged: the caller is answered 0xC000). */
static int list(struct retrieve *r, cirr_dicom_scu *scu, const char *sop_class)
{
    char why[512], esc[LOG_ESCAPED_SIZE(511)];
    if (listing_fill(scu, upstream_find_model(sop_class), r->query, r->job, why, sizeof why) < 0) {
        log_msg(LOG_WARN, NULL, "%s from %s: cannot list the instances (0xC000): %s", r->what, r->caller,
                log_escape(esc, sizeof esc, why));
        return -1;
    }
    jobs_listed(&r->b->jobs, r->job);
    return 0;
}

/* The upstream association, the listing and the move (on its own thread).
 * With a second association at hand (upstream_spare), the move starts
 * first and the listing runs on the second meanwhile: the upstream's
 * first instances arrive while the list is asked for (they wait for it in
 * jobs_deliver), and the list's C-FIND no longer comes before the move's
 * start (1.2 ms of a 50-instance study's 3 ms to its first instance at
 * the destination; doc/bridge.md). Else one after the other on the one
 * association. Nothing waits for the first instance: lib/dicom opens the
 * destination's association while the upstream moves, and release()
 * tells a move the upstream refused from one that ran. */
static uint16_t start(struct retrieve *r, const cirr_dicom_peer *peer, const char *sop_class)
{
    uint16_t status = upstream_open(r->b, peer->calling_aet, r->what, r->b->conf.queue_timeout_s * 1000u, &r->scu);
    if (status != 0x0000)
        return status;
    if (job_ready(r->job, r->b->conf.window) < 0)
        return 0xA700;
    cirr_dicom_scu *lister = upstream_spare(r->b);
    if (!lister) {
        if (list(r, r->scu, sop_class) < 0)
            return 0xC000;
        if (!r->job->n)
            return 0x0000; /* nothing to move: lib/dicom answers success at once */
    }
    if (r->study[0])
        cached_fill(r->b, r->study, r->job);
    r->job->move_id = jobs_new_move_id(&r->b->jobs);
    jobs_add(&r->b->jobs, r->job);
    if (pthread_create(&r->mover, NULL, mover, r) != 0) {
        jobs_remove(&r->b->jobs, r->job);
        if (r->study[0])
            cached_finish(r->b, r->study, r->job, 0);
        if (lister)
            upstream_close(r->b, lister, 1);
        return 0xA700;
    }
    r->moving = 1;
    if (!lister)
        return 0x0000;
    int listed = list(r, lister, sop_class);
    upstream_close(r->b, lister, listed == 0);
    return listed < 0 ? 0xC000 : 0x0000;
}

uint16_t relay_retrieve(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                        cirr_dicom_instances *out, void *ud)
{
    struct bridge *b = ud;
    const char *move_model = upstream_move_model(sop_class);
    int get = move_model && strcmp(move_model, sop_class);
    struct retrieve *r = calloc(1, sizeof *r);
    if (!r)
        return 0xA700;
    r->b = b;
    r->move_model = move_model;
    r->what = get ? "C-GET" : "C-MOVE";
    r->started = clock_mono_ms();
    log_escape(r->caller, sizeof r->caller, peer->calling_aet);
    if (!bridge_caller_allowed(&b->conf, peer->calling_aet, peer->peer_host)) {
        log_msg(LOG_WARN, NULL, "%s from %s refused (0x0124): not in BRIDGE_ALLOW", r->what, r->caller);
        free(r);
        return 0x0124;
    }
    stats_request(&b->stats, get ? STATS_GET : STATS_MOVE, peer->calling_aet);
    if (move_model && cached_study(b, query, r->study) && cached_serve(b, r->caller, r->what, r->study, out) == 0) {
        free(r);
        return 0x0000;
    }
    r->job = calloc(1, sizeof *r->job);
    uint16_t status = !r->job || cirr_dicom_dataset_copy(query, &r->query) != CIRR_DICOM_OK ? 0xA700
                      : !move_model                                                       ? 0x0122
                                                                                          : start(r, peer, sop_class);
    if (status != 0x0000 || !r->job->n) {
        discard(r);
        return status;
    }
    log_msg(LOG_INFO, NULL, "%s from %s: %zu instances listed; the upstream moves them to the bridge", r->what,
            r->caller, r->job->n);
    *out = (cirr_dicom_instances){.count = r->job->n, .fetch = fetch, .sop_class = class_of, .release = release,
                                  .ctx = r, .sent = spent};
    return 0x0000;
}

int relay_destination(const char *aet, char *host, size_t cap, unsigned *port, void *ud)
{
    struct bridge *b = ud;
    const struct peer *p = bridge_peer_by_aet(&b->conf, aet);
    if (!p) {
        char esc[LOG_ESCAPED_SIZE(16)];
        log_msg(LOG_WARN, NULL, "C-MOVE to unknown destination '%s' refused (0xA801): no MOD_<NAME> has that AE title",
                log_escape(esc, sizeof esc, aet));
        return -1;
    }
    snprintf(host, cap, "%s", p->host);
    *port = p->port;
    return 0;
}

uint16_t relay_store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts_uid, void *ud)
{
    struct bridge *b = ud;
    char aet[LOG_ESCAPED_SIZE(16)];
    if (strcmp(peer->calling_aet, b->conf.upstream->aet)) {
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0x0124): only the upstream stores to the bridge",
                log_escape(aet, sizeof aet, peer->calling_aet));
        return 0x0124;
    }
    /* The PACS names the C-MOVE an instance belongs to (PS3.7 9.3.1.1):
     * not one of the bridge's, it is no retrieve's; one of the bridge's,
     * only that retrieve's. Without it, the UID decides. */
    char origin[17];
    uint16_t move_id = 0;
    if (cirr_dicom_store_originator(origin, &move_id) && strcmp(origin, b->conf.aet) != 0) {
        char esc[LOG_ESCAPED_SIZE(16)];
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused (0x0124): sent for a C-MOVE of %s, not of the bridge",
                log_escape(aet, sizeof aet, peer->calling_aet), log_escape(esc, sizeof esc, origin));
        b->stats.unmatched_stores++;
        return 0x0124;
    }
    static _Thread_local int lowered; /* the association's thread: once */
    if (!lowered) {
        lowered = 1;
        lower_priority(b);
    }
    uint16_t status = jobs_deliver(&b->jobs, ds, ts_uid, move_id, b->conf.timeout_s * 1000u);
    if (status == 0x0000)
        b->stats.instances_received++;
    else if (status == 0x0124)
        b->stats.unmatched_stores++;
    return status;
}
