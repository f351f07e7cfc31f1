/* forward.c: destination workers: batches over a persistent association,
 * retries with exponential backoff and jitter, dead letters. The queue
 * they drain is queue.c's. */
#include "forward.h"

#include "backoff.h"
#include "clock.h"
#include "contexts.h"
#include "instance.h"
#include "log.h"
#include "queue.h"
#include "thread_nice.h"
#include "transform.h"

#include "cirr_dicom_forward.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The wait before attempt number failures + 1: MUX_RETRY_BASE_MS doubling
 * up to MUX_RETRY_MAX_MS, spread over its second half. */
static unsigned long long retry_delay_ms(const struct mux_conf *c, unsigned failures)
{
    return backoff_jitter_ms(backoff_delay_ms(c->retry_base_ms, c->retry_max_ms, failures - 1));
}

/* Names (from the spool folder) and reasons (a destination's or DCMTK's
 * words) are escaped before they reach the log. */
struct said {
    char name[LOG_ESCAPED_SIZE(SPOOL_NAME_MAX)];
    char why[1024];
};

static void bury(struct dest_queue *q, struct entry *e, const char *reason)
{
    struct said s;
    log_escape(s.name, sizeof s.name, e->name);
    log_escape(s.why, sizeof s.why, reason);
    if (spool_dead(q->spool, q->dest->peer.name, e->name, reason) < 0) {
        log_msg(LOG_ERROR, q->dest->peer.name, "cannot move %s to dead letters (%s): %s", s.name, s.why,
                strerror(errno));
        return;
    }
    q->dead++;
    log_msg(LOG_ERROR, q->dest->peer.name, "%s moved to dead letters: %s", s.name, s.why);
}

/* A failed attempt: back into the queue later, or to the dead letters.
 * The age is the wall-clock time since the instance arrived (its name
 * keeps it across restarts). */
static void retry_or_bury(struct dest_queue *q, struct entry *e, const char *reason)
{
    const struct mux_conf *c = q->conf;
    unsigned long long wall = clock_wall_ms(), received = spool_received_ms(e->name);
    unsigned long long age_s = wall > received ? (wall - received) / 1000 : 0;
    e->attempts++;
    q->failed++;
    if (e->attempts >= c->max_attempts || age_s >= c->max_age_s) {
        char why[600];
        snprintf(why, sizeof why, "%s (after %u attempts, %llu s)", reason, e->attempts, age_s);
        bury(q, e, why);
        return;
    }
    e->not_before_ms = clock_mono_ms() + retry_delay_ms(c, e->attempts);
    queue_put_back(e);
}

/* No association, or the destination out of resources (0xA7xx): the whole
 * queue waits one backoff step. Logged when it starts and then once per
 * MUX_RETRY_MAX_MS at most, not per attempt. */
static void destination_down(struct dest_queue *q, int reason)
{
    const struct mux_conf *c = q->conf;
    const struct peer *d = &q->dest->peer;
    unsigned long long now = clock_mono_ms();
    if (reason == DEST_UNREACHABLE)
        q->association_failures++;
    else
        q->out_of_resources++;
    pthread_mutex_lock(&q->lock);
    if (!q->down_since_ms)
        q->down_since_ms = now;
    q->down_reason = reason;
    q->down_attempts++;
    q->down_until_ms = now + retry_delay_ms(c, q->down_attempts);
    int say = q->down_attempts == 1 || now - q->down_logged_ms >= c->retry_max_ms;
    unsigned long long down_s = (now - q->down_since_ms) / 1000;
    size_t depth = q->n + q->in_flight; /* the batch being sent is in flight */
    if (say)
        q->down_logged_ms = now;
    pthread_mutex_unlock(&q->lock);
    struct said s;
    if (say)
        log_msg(LOG_WARN, d->name, "%s %s@%s:%u: %s; %zu instance(s) wait (for %llu s, %u attempt(s))",
                reason == DEST_UNREACHABLE ? "cannot associate with" : "out of resources:", d->aet, d->host,
                d->port, log_escape(s.why, sizeof s.why, cirr_dicom_last_error()), depth, down_s, q->down_attempts);
}

/* The destination works again: after an association when it was
 * unreachable, after a stored instance whatever it was. */
static void destination_up(struct dest_queue *q, int after_store)
{
    const struct peer *d = &q->dest->peer;
    pthread_mutex_lock(&q->lock);
    if (q->down_reason == DEST_UP || (q->down_reason == DEST_OUT_OF_RESOURCES && !after_store)) {
        pthread_mutex_unlock(&q->lock);
        return;
    }
    unsigned long long since = q->down_since_ms;
    unsigned attempts = q->down_attempts;
    q->down_since_ms = q->down_until_ms = q->down_logged_ms = 0;
    q->down_attempts = 0;
    q->down_reason = DEST_UP;
    pthread_mutex_unlock(&q->lock);
    log_msg(LOG_INFO, d->name, "%s@%s:%u works again after %llu s and %u failed attempt(s)", d->aet, d->host,
            d->port, (clock_mono_ms() - since) / 1000, attempts);
}

struct worker {
    struct dest_queue *q;
    cirr_dicom_scu *scu;
    struct contexts have; /* what the open association was made for */
};

static void disconnect(struct worker *w)
{
    cirr_dicom_scu_close(w->scu);
    w->scu = NULL;
    contexts_free(&w->have);
}

/* An association that serves need: the open one, or a new one. */
static int connect_for(struct worker *w, struct contexts *need)
{
    if (w->scu && contexts_cover(&w->have, need))
        return 0;
    disconnect(w);
    for (const char *const *ts = transform_fallback_ts(w->q->dest); *ts; ts++)
        contexts_add_ts(need, *ts);
    const struct peer *d = &w->q->dest->peer;
    cirr_dicom_peer_config pc = {d->host, d->port, d->aet, w->q->conf->aet, 30, 120, 0};
    /* a context per syntax: each instance leaves in its own whenever the destination takes it */
    if (cirr_dicom_scu_open_each_ts(&pc, (const char *const *)need->classes, (const char *const *)need->ts,
                                    &w->scu) != CIRR_DICOM_OK)
        return -1;
    w->have = *need;
    memset(need, 0, sizeof *need); /* ownership moved */
    return 0;
}

/* Entry e's file could not be read (st): gone (requeued, removed:
 * nothing to do), or there but unreadable (empty after a power cut,
 * garbage: a dead letter now, as no retry would change it), or a passing
 * failure (no memory, no file descriptor: an attempt, retried). */
static void unreadable(struct dest_queue *q, struct entry *e, const char *path, cirr_dicom_status st)
{
    char reason[600];
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return;
    if (fd < 0 || st == CIRR_DICOM_ERROR_MEMORY || fstat(fd, &sb) < 0) {
        snprintf(reason, sizeof reason, "cannot read the spool file: %s", cirr_dicom_last_error());
        retry_or_bury(q, e, reason);
    } else {
        snprintf(reason, sizeof reason, "cannot read the spool file (%lld bytes): %s", (long long)sb.st_size,
                 cirr_dicom_last_error());
        bury(q, e, reason);
    }
    if (fd >= 0)
        close(fd);
}

/* Entry e's instance, adding what it needs to need; NULL when it is not
 * to be sent now (see unreadable; without SOP UIDs: a dead letter). */
static cirr_dicom_dataset *read_entry(struct dest_queue *q, struct entry *e, struct contexts *need)
{
    char path[SPOOL_PATH_MAX], why[600], ts[80];
    cirr_dicom_dataset *ds = NULL;
    struct instance_id id;
    if (spool_path(q->spool, q->dest->peer.name, e->name, path, sizeof path) < 0) {
        bury(q, e, "spool path too long");
        return NULL;
    }
    spool_check(q->spool, q->dest->peer.name, e->name, path);
    /* in the syntax it arrived in, and the pixels read as they are */
    cirr_dicom_status st = cirr_dicom_read_as_is(path, &ds);
    if (st != CIRR_DICOM_OK) {
        unreadable(q, e, path, st);
        return NULL;
    }
    enum transform_result t = TRANSFORM_FAILED;
    if (instance_identify(ds, &id, why, sizeof why) < 0 ||
        (t = transform_anonymize(q->dest, ds, why, sizeof why)) != TRANSFORM_SEND) {
        if (t == TRANSFORM_QUARANTINED)
            q->quarantined++;
        bury(q, e, why); /* no retry would change any of these */
        cirr_dicom_dataset_free(ds);
        return NULL;
    }
    contexts_add_class(need, id.sop_class);
    if (cirr_dicom_dataset_ts(ds, ts, sizeof ts) == CIRR_DICOM_OK)
        contexts_add_ts(need, ts);
    return ds;
}

/* Read the batch's instances (NULL where one is not to be sent) and what
 * they need; how many there are to send. */
static size_t read_batch(struct dest_queue *q, struct entry *batch, size_t k, cirr_dicom_dataset **ds,
                         struct contexts *need)
{
    size_t n = 0;
    for (size_t i = 0; i < k; i++)
        n += (ds[i] = read_entry(q, &batch[i], need)) != NULL;
    return n;
}

/* Send one instance; 0, or -1 when the association is gone (the rest of
 * the batch then goes back as it was). */
static int send_one(struct worker *w, struct entry *e, cirr_dicom_dataset *ds)
{
    struct dest_queue *q = w->q;
    uint16_t status = 0;
    char sop_class[INSTANCE_UID_MAX];
    int compressed = cirr_dicom_get_string(ds, CIRR_TAG_SOP_CLASS_UID, sop_class, sizeof sop_class) ==
                         CIRR_DICOM_OK && transform_compress(q->dest, w->scu, ds, sop_class);
    cirr_dicom_status st = cirr_dicom_scu_store(w->scu, ds, &status);
    if (st == CIRR_DICOM_OK) {
        spool_done(q->spool, q->dest->peer.name, e->name);
        q->forwarded++;
        q->compressed += (unsigned long long)compressed;
        destination_up(q, 1);
    } else if (st == CIRR_DICOM_ERROR_DIMSE && (status & 0xFF00) == 0xA700) {
        /* full, not this instance's fault: it and the rest wait, uncounted */
        destination_down(q, DEST_OUT_OF_RESOURCES);
        queue_put_back(e);
        disconnect(w); /* reconnect after the backoff, not onto a stale association */
        return -1;
    } else if (st == CIRR_DICOM_ERROR_TRANSCODE || st == CIRR_DICOM_ERROR_NO_CONTEXT) {
        bury(q, e, cirr_dicom_last_error());
    } else {
        char reason[512];
        struct said s;
        snprintf(reason, sizeof reason, "%s", cirr_dicom_last_error());
        log_msg(LOG_WARN, q->dest->peer.name, "%s not delivered: %s", log_escape(s.name, sizeof s.name, e->name),
                log_escape(s.why, sizeof s.why, reason));
        retry_or_bury(q, e, reason);
        if (st == CIRR_DICOM_ERROR_NETWORK) {
            disconnect(w);
            return -1;
        }
    }
    return 0;
}

static void send_batch(struct worker *w, struct entry *batch, size_t k)
{
    struct dest_queue *q = w->q;
    cirr_dicom_dataset **ds = calloc(k, sizeof *ds);
    struct contexts need;
    memset(&need, 0, sizeof need);
    if (!ds) { /* out of memory: the batch waits for the next attempt */
        for (size_t i = 0; i < k; i++)
            queue_put_back(&batch[i]);
        return;
    }
    if (read_batch(q, batch, k, ds, &need) == 0) { /* nothing to send: no association needed */
        free(ds);
        contexts_free(&need);
        return;
    }
    int connected = connect_for(w, &need) == 0;
    if (connected)
        destination_up(q, 0);
    else
        destination_down(q, DEST_UNREACHABLE);
    for (size_t i = 0; i < k; i++) {
        if (!ds[i])
            continue;
        if (!connected)
            queue_put_back(&batch[i]);
        else if (send_one(w, &batch[i], ds[i]) < 0)
            connected = 0;
    }
    for (size_t i = 0; i < k; i++)
        cirr_dicom_dataset_free(ds[i]);
    free(ds);
    contexts_free(&need);
}

static void *worker_main(void *arg)
{
    struct worker w = {arg, NULL, {{0}, {0}, 0, 0}};
    struct dest_queue *q = w.q;
    /* Linux keeps a nice value per thread: the receiving threads, whose
     * senders wait for every answer, get the CPU first; forwarding has
     * what is left, which is all of it when nothing arrives. */
    if (thread_nice(q->conf->forward_nice) < 0)
        log_msg(LOG_WARN, q->dest->peer.name, "cannot lower the forwarding threads' priority: %s", strerror(errno));
    struct entry *batch = calloc(q->conf->batch, sizeof *batch);
    size_t k;
    while (batch && (k = queue_take(q, batch, q->conf->batch)) > 0) {
        send_batch(&w, batch, k);
        queue_finished(q, batch);
        if (queue_empty(q)) /* persistent while there is work; closed when idle */
            disconnect(&w);
    }
    if (!batch)
        log_msg(LOG_ERROR, q->dest->peer.name, "out of memory: no worker for this destination");
    disconnect(&w);
    free(batch);
    return NULL;
}

int forward_start(struct dest_queue *qs, const struct mux_conf *c, struct spool *s)
{
    for (unsigned i = 0; i < c->ndests; i++) {
        struct dest_queue *q = &qs[i];
        memset(q, 0, sizeof *q);
        q->dest = &c->dests[i];
        q->spool = s;
        q->conf = c;
        if (queue_init(q) < 0)
            return -1;
        queue_load(q);
        for (unsigned w = 0; w < q->dest->workers; w++) {
            if (pthread_create(&q->workers[w], NULL, worker_main, q) != 0)
                return -1;
            q->nworkers++;
        }
    }
    return 0;
}

void forward_stop(struct dest_queue *qs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        pthread_mutex_lock(&qs[i].lock);
        qs[i].stop = 1;
        pthread_cond_broadcast(&qs[i].ready);
        pthread_mutex_unlock(&qs[i].lock);
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned w = 0; w < qs[i].nworkers; w++)
            pthread_join(qs[i].workers[w], NULL);
        queue_destroy(&qs[i]);
    }
}
