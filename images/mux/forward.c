/* forward.c: destination workers: batches over a persistent association,
 * retries with exponential backoff and jitter, dead letters. */
#include "forward.h"

#include "log.h"
#include "rng_jitter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

static unsigned long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (unsigned long long)tv.tv_sec * 1000 + (unsigned long long)tv.tv_usec / 1000;
}

/* Insert keeping the queue ordered by name (= by arrival). Lock held. */
static int insert(struct dest_queue *q, const struct entry *e)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 1024;
        struct entry *items = realloc(q->items, cap * sizeof *items);
        if (!items)
            return -1;
        q->items = items;
        q->cap = cap;
    }
    size_t at = q->n;
    while (at > 0 && strcmp(q->items[at - 1].name, e->name) > 0)
        at--;
    memmove(q->items + at + 1, q->items + at, (q->n - at) * sizeof *q->items);
    q->items[at] = *e;
    q->n++;
    return 0;
}

void forward_push(struct dest_queue *q, const char *name)
{
    struct entry e = {{0}, 0, 0};
    snprintf(e.name, sizeof e.name, "%s", name);
    pthread_mutex_lock(&q->lock);
    insert(q, &e);
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

/* Take up to max ready entries; waits while none is due. */
static size_t take(struct dest_queue *q, struct entry *out, size_t max)
{
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->stop) {
            pthread_mutex_unlock(&q->lock);
            return 0;
        }
        unsigned long long now = now_ms(), next = 0;
        if (q->down_until_ms > now) { /* unreachable: nothing is due before the next attempt */
            struct timespec ts = {(time_t)(q->down_until_ms / 1000), (long)(q->down_until_ms % 1000) * 1000000};
            pthread_cond_timedwait(&q->ready, &q->lock, &ts);
            continue;
        }
        size_t k = 0;
        for (size_t i = 0; i < q->n && k < max;) {
            if (q->items[i].not_before_ms <= now) {
                out[k++] = q->items[i];
                memmove(q->items + i, q->items + i + 1, (q->n - i - 1) * sizeof *q->items);
                q->n--;
            } else {
                if (!next || q->items[i].not_before_ms < next)
                    next = q->items[i].not_before_ms;
                i++;
            }
        }
        if (k) {
            q->in_flight += k;
            if (!q->oldest_in_flight_ms || spool_received_ms(out[0].name) < q->oldest_in_flight_ms)
                q->oldest_in_flight_ms = spool_received_ms(out[0].name);
            pthread_mutex_unlock(&q->lock);
            return k;
        }
        if (next) {
            struct timespec ts = {(time_t)(next / 1000), (long)(next % 1000) * 1000000};
            pthread_cond_timedwait(&q->ready, &q->lock, &ts);
        } else {
            pthread_cond_wait(&q->ready, &q->lock);
        }
    }
}

static void finished(struct dest_queue *q, size_t k)
{
    pthread_mutex_lock(&q->lock);
    q->in_flight -= k;
    if (!q->in_flight)
        q->oldest_in_flight_ms = 0;
    pthread_mutex_unlock(&q->lock);
}

/* Back into the queue as it was: the instance did not fail. */
static void put_back(struct dest_queue *q, const struct entry *e)
{
    pthread_mutex_lock(&q->lock);
    insert(q, e);
    pthread_mutex_unlock(&q->lock);
}

static unsigned long long backoff_ms(const struct mux_conf *c, unsigned failures)
{
    unsigned long long delay = c->retry_base_ms;
    for (unsigned i = 1; i < failures && delay < c->retry_max_ms; i++)
        delay *= 2;
    return delay > c->retry_max_ms ? c->retry_max_ms : delay;
}

/* A failed attempt: back into the queue later, or to the dead letters. */
static void retry_or_bury(struct dest_queue *q, struct entry *e, const char *reason)
{
    const struct mux_conf *c = q->conf;
    unsigned long long now = now_ms(), age_s = (now - spool_received_ms(e->name)) / 1000;
    e->attempts++;
    q->failed++;
    if (e->attempts >= c->max_attempts || age_s >= c->max_age_s) {
        char why[600];
        snprintf(why, sizeof why, "%s (after %u attempts, %llu s)", reason, e->attempts, age_s);
        if (spool_dead(q->spool, q->dest->name, e->name, why) == 0) {
            q->dead++;
            log_msg(LOG_ERROR, q->dest->name, "%s moved to dead letters: %s", e->name, why);
        }
        return;
    }
    e->not_before_ms = now + jitter(backoff_ms(c, e->attempts));
    put_back(q, e);
}

/* No association, or the destination out of resources (0xA7xx): the whole
 * queue waits one backoff step. Logged when it starts and then once per
 * MUX_RETRY_MAX_MS at most, not per attempt. */
static void destination_down(struct dest_queue *q, int reason)
{
    const struct mux_conf *c = q->conf;
    unsigned long long now = now_ms();
    if (reason == DEST_UNREACHABLE)
        q->association_failures++;
    else
        q->out_of_resources++;
    pthread_mutex_lock(&q->lock);
    if (!q->down_since_ms)
        q->down_since_ms = now;
    q->down_reason = reason;
    q->down_attempts++;
    q->down_until_ms = now + jitter(backoff_ms(c, q->down_attempts));
    int say = q->down_attempts == 1 || now - q->down_logged_ms >= c->retry_max_ms;
    unsigned long long down_s = (now - q->down_since_ms) / 1000;
    size_t depth = q->n + q->in_flight; /* the batch being sent is in flight */
    if (say)
        q->down_logged_ms = now;
    pthread_mutex_unlock(&q->lock);
    if (say)
        log_msg(LOG_WARN, q->dest->name, "%s %s@%s:%u: %s; %zu instance(s) wait (for %llu s, %u attempt(s))",
                reason == DEST_UNREACHABLE ? "cannot associate with" : "out of resources:", q->dest->aet,
                q->dest->host, q->dest->port, cirr_dicom_last_error(), depth, down_s, q->down_attempts);
}

/* The destination works again: after an association when it was
 * unreachable, after a stored instance whatever it was. */
static void destination_up(struct dest_queue *q, int after_store)
{
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
    log_msg(LOG_INFO, q->dest->name, "%s@%s:%u works again after %llu s and %u failed attempt(s)", q->dest->aet,
            q->dest->host, q->dest->port, (now_ms() - since) / 1000, attempts);
}

static void bury_now(struct dest_queue *q, struct entry *e, const char *reason)
{
    if (spool_dead(q->spool, q->dest->name, e->name, reason) == 0) {
        q->dead++;
        log_msg(LOG_ERROR, q->dest->name, "%s moved to dead letters: %s", e->name, reason);
    }
}

/* The association a batch needs: its SOP classes, with the transfer
 * syntaxes the instances are in, then Explicit and Implicit VR LE (DCMTK
 * converts when the destination takes only those). */
struct wants {
    char *classes[128];
    char *ts[16];
    unsigned nclasses, nts;
};

static void want(char **list, unsigned *n, unsigned max, const char *v)
{
    for (unsigned i = 0; i < *n; i++)
        if (!strcmp(list[i], v))
            return;
    if (*n + 1 < max)
        list[(*n)++] = strdup(v);
    list[*n] = NULL;
}

static int covered(const struct wants *have, const struct wants *need)
{
    for (unsigned i = 0; i < need->nclasses; i++) {
        int ok = 0;
        for (unsigned j = 0; j < have->nclasses && !ok; j++)
            ok = !strcmp(need->classes[i], have->classes[j]);
        if (!ok)
            return 0;
    }
    for (unsigned i = 0; i < need->nts; i++) {
        int ok = 0;
        for (unsigned j = 0; j < have->nts && !ok; j++)
            ok = !strcmp(need->ts[i], have->ts[j]);
        if (!ok)
            return 0;
    }
    return 1;
}

static void wants_free(struct wants *w)
{
    for (unsigned i = 0; i < w->nclasses; i++)
        free(w->classes[i]);
    for (unsigned i = 0; i < w->nts; i++)
        free(w->ts[i]);
    memset(w, 0, sizeof *w);
}

struct worker {
    struct dest_queue *q;
    cirr_dicom_scu *scu;
    struct wants have;
};

static void disconnect(struct worker *w)
{
    cirr_dicom_scu_close(w->scu);
    w->scu = NULL;
    wants_free(&w->have);
}

static int connect_for(struct worker *w, struct wants *need)
{
    if (w->scu && covered(&w->have, need))
        return 0;
    disconnect(w);
    want(need->ts, &need->nts, 16, CIRR_DICOM_TS_EXPLICIT_LE);
    want(need->ts, &need->nts, 16, CIRR_DICOM_TS_IMPLICIT_LE);
    const struct mux_dest *d = w->q->dest;
    cirr_dicom_peer_config pc = {d->host, d->port, d->aet, w->q->conf->aet, 30, 120, 0};
    if (cirr_dicom_scu_open(&pc, (const char *const *)need->classes, (const char *const *)need->ts, &w->scu) !=
        CIRR_DICOM_OK)
        return -1;
    w->have = *need;
    memset(need, 0, sizeof *need); /* ownership moved */
    return 0;
}

static void send_batch(struct worker *w, struct entry *batch, size_t k)
{
    struct dest_queue *q = w->q;
    cirr_dicom_dataset **ds = calloc(k, sizeof *ds);
    struct wants need = {{0}, {0}, 0, 0};
    char path[512], buf[80];
    for (size_t i = 0; i < k; i++) {
        spool_path(q->spool, q->dest->name, batch[i].name, path, sizeof path);
        if (cirr_dicom_dataset_read(path, &ds[i]) != CIRR_DICOM_OK) {
            log_msg(LOG_WARN, q->dest->name, "cannot read %s: %s", path, cirr_dicom_last_error());
            continue; /* gone (requeued, removed): nothing to send */
        }
        if (cirr_dicom_get_string(ds[i], CIRR_TAG_SOP_CLASS_UID, buf, sizeof buf) == CIRR_DICOM_OK)
            want(need.classes, &need.nclasses, 128, buf);
        if (cirr_dicom_dataset_ts(ds[i], buf, sizeof buf) == CIRR_DICOM_OK)
            want(need.ts, &need.nts, 16, buf);
    }
    int connected = connect_for(w, &need) == 0;
    if (connected)
        destination_up(q, 0);
    else
        destination_down(q, DEST_UNREACHABLE);
    char reason[512];
    for (size_t i = 0; i < k; i++) {
        if (!ds[i])
            continue;
        if (!connected) {
            put_back(q, &batch[i]);
            continue;
        }
        uint16_t status = 0;
        cirr_dicom_status st = cirr_dicom_scu_store(w->scu, ds[i], &status);
        if (st == CIRR_DICOM_OK) {
            spool_done(q->spool, q->dest->name, batch[i].name);
            q->forwarded++;
            destination_up(q, 1);
        } else if (st == CIRR_DICOM_ERROR_DIMSE && (status & 0xFF00) == 0xA700) {
            /* full, not this instance's fault: it and the rest wait, uncounted */
            destination_down(q, DEST_OUT_OF_RESOURCES);
            put_back(q, &batch[i]);
            disconnect(w); /* reconnect after the backoff, not onto a stale association */
            connected = 0;
        } else if (st == CIRR_DICOM_ERROR_TRANSCODE || st == CIRR_DICOM_ERROR_NO_CONTEXT) {
            bury_now(q, &batch[i], cirr_dicom_last_error());
        } else {
            snprintf(reason, sizeof reason, "%s", cirr_dicom_last_error());
            log_msg(LOG_WARN, q->dest->name, "%s not delivered: %s", batch[i].name, reason);
            retry_or_bury(q, &batch[i], reason);
            if (st == CIRR_DICOM_ERROR_NETWORK) { /* the association is gone: the rest go back as they were */
                disconnect(w);
                connected = 0;
            }
        }
    }
    for (size_t i = 0; i < k; i++)
        cirr_dicom_dataset_free(ds[i]);
    free(ds);
    wants_free(&need);
}

static void *worker_main(void *arg)
{
    struct worker w = {arg, NULL, {{0}, {0}, 0, 0}};
    struct dest_queue *q = w.q;
    /* Linux keeps a nice value per thread: the receiving threads, whose
     * senders wait for every answer, get the CPU first; forwarding has
     * what is left, which is all of it when nothing arrives. */
    if (q->conf->forward_nice && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), (int)q->conf->forward_nice) < 0)
        log_msg(LOG_WARN, q->dest->name, "cannot lower the forwarding threads' priority: %s", strerror(errno));
    struct entry *batch = calloc(q->conf->batch, sizeof *batch);
    for (;;) {
        size_t k = take(q, batch, q->conf->batch);
        if (!k)
            break;
        send_batch(&w, batch, k);
        finished(q, k);
        pthread_mutex_lock(&q->lock);
        int idle = q->n == 0;
        pthread_mutex_unlock(&q->lock);
        if (idle) /* persistent while there is work; closed when idle */
            disconnect(&w);
    }
    disconnect(&w);
    free(batch);
    return NULL;
}

static void load(struct dest_queue *q)
{
    char **names;
    size_t n = spool_list(q->spool, "queue", q->dest->name, &names);
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < n; i++) {
        int known = 0;
        for (size_t j = 0; j < q->n && !known; j++)
            known = !strcmp(q->items[j].name, names[i]);
        if (!known && !q->in_flight) {
            struct entry e = {{0}, 0, 0};
            snprintf(e.name, sizeof e.name, "%s", names[i]);
            insert(q, &e);
        }
        free(names[i]);
    }
    free(names);
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
    if (n)
        log_msg(LOG_INFO, q->dest->name, "%zu instance(s) waiting in the spool", n);
}

int forward_start(struct dest_queue *qs, const struct mux_conf *c, struct spool *s)
{
    for (unsigned i = 0; i < c->ndests; i++) {
        struct dest_queue *q = &qs[i];
        memset(q, 0, sizeof *q);
        q->dest = &c->dests[i];
        q->spool = s;
        q->conf = c;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->ready, NULL);
        load(q);
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
        free(qs[i].items);
        pthread_cond_destroy(&qs[i].ready);
        pthread_mutex_destroy(&qs[i].lock);
    }
}

void forward_rescan(struct dest_queue *qs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        load(&qs[i]);
}

void forward_stats(struct dest_queue *q, size_t *depth, double *oldest_s, double *down_s)
{
    unsigned long long now = now_ms();
    pthread_mutex_lock(&q->lock);
    *depth = q->n + q->in_flight;
    unsigned long long oldest = q->oldest_in_flight_ms;
    if (q->n && (!oldest || spool_received_ms(q->items[0].name) < oldest))
        oldest = spool_received_ms(q->items[0].name);
    *down_s = q->down_since_ms ? (double)(now - q->down_since_ms) / 1000.0 : 0;
    pthread_mutex_unlock(&q->lock);
    *oldest_s = oldest ? (double)(now - oldest) / 1000.0 : 0;
}
