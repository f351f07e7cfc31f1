/* queue.c: see queue.h, and forward_push, forward_rescan, forward_stats. */
#include "queue.h"

#include "array.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int queue_init(struct dest_queue *q)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc == 0)
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&q->ready, &attr);
    pthread_condattr_destroy(&attr);
    if (rc == 0 && (rc = pthread_mutex_init(&q->lock, NULL)) != 0)
        pthread_cond_destroy(&q->ready);
    return rc == 0 ? 0 : (errno = rc, -1);
}

void queue_destroy(struct dest_queue *q)
{
    free(q->items);
    q->items = NULL;
    pthread_cond_destroy(&q->ready);
    pthread_mutex_destroy(&q->lock);
}

/* Insert keeping the queue ordered by name (= by arrival). Lock held. Out
 * of memory, the entry stays only in the spool (read again at start). */
static void insert(struct dest_queue *q, const struct entry *e)
{
    struct entry *items = array_grow(q->items, &q->cap, q->n + 1, sizeof *items, 1024);
    if (!items) {
        char name[LOG_ESCAPED_SIZE(SPOOL_NAME_MAX)];
        log_msg(LOG_ERROR, q->dest->peer.name, "out of memory: %s waits in the spool until a restart",
                log_escape(name, sizeof name, e->name));
        return;
    }
    q->items = items;
    size_t at = q->n;
    while (at > 0 && strcmp(q->items[at - 1].name, e->name) > 0)
        at--;
    memmove(q->items + at + 1, q->items + at, (q->n - at) * sizeof *q->items);
    q->items[at] = *e;
    q->n++;
}

static void new_entry(struct entry *e, const char *name)
{
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
}

void forward_push(struct dest_queue *q, const char *name)
{
    struct entry e;
    new_entry(&e, name);
    pthread_mutex_lock(&q->lock);
    insert(q, &e);
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names of the entries in flight, sorted (NULL when there are none,
 * or no memory: then a rescan may queue one twice, which only sends it
 * twice). Lock held. */
static char **flying_names(struct dest_queue *q, size_t *n)
{
    char **names = q->in_flight ? malloc(q->in_flight * sizeof *names) : NULL;
    *n = 0;
    if (!names)
        return NULL;
    for (size_t f = 0; f < MUX_MAX_WORKERS; f++)
        for (size_t i = 0; q->flights[f].batch && i < q->flights[f].k; i++)
            names[(*n)++] = (char *)q->flights[f].batch[i].name;
    qsort(names, *n, sizeof *names, by_name);
    return names;
}

/* Merge names (sorted) into the queue (sorted), leaving out those queued
 * or in flight already. Lock held. */
static void merge(struct dest_queue *q, char **names, size_t n)
{
    size_t nfly, i = 0, k = 0;
    char **fly = flying_names(q, &nfly);
    struct entry *all = n ? malloc((q->n + n) * sizeof *all) : NULL;
    if (!all) {
        if (n)
            log_msg(LOG_ERROR, q->dest->peer.name, "out of memory: %zu entries wait in the spool until a restart", n);
        free(fly);
        return;
    }
    for (size_t j = 0; j < n; j++) {
        while (i < q->n && strcmp(q->items[i].name, names[j]) < 0)
            all[k++] = q->items[i++];
        if ((i < q->n && !strcmp(q->items[i].name, names[j])) ||
            (fly && bsearch(&names[j], fly, nfly, sizeof *fly, by_name)))
            continue; /* queued or in flight already */
        new_entry(&all[k++], names[j]);
    }
    while (i < q->n)
        all[k++] = q->items[i++];
    free(q->items);
    free(fly);
    q->items = all;
    q->cap = q->n + n;
    q->n = k;
}

void queue_load(struct dest_queue *q)
{
    char **names;
    size_t n = spool_list(q->conf->spool, SPOOL_QUEUE, q->dest->peer.name, &names);
    pthread_mutex_lock(&q->lock);
    merge(q, names, n);
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (n)
        log_msg(LOG_INFO, q->dest->peer.name, "%zu instance(s) waiting in the spool", n);
}

/* Move the due entries (up to max) to out; *next gets the earliest time
 * one that is not due will be (0: none waits). The rest close up in one
 * move. Lock held. */
static size_t take_due(struct dest_queue *q, struct entry *out, size_t max, unsigned long long now,
                       unsigned long long *next)
{
    size_t k = 0, kept = 0, i = 0;
    *next = 0;
    for (; i < q->n && k < max; i++) {
        struct entry *e = &q->items[i];
        if (e->not_before_ms <= now) {
            out[k++] = *e;
            continue;
        }
        if (!*next || e->not_before_ms < *next)
            *next = e->not_before_ms;
        q->items[kept++] = *e;
    }
    if (kept < i) {
        memmove(q->items + kept, q->items + i, (q->n - i) * sizeof *q->items);
        q->n -= i - kept;
    }
    return k;
}

/* Note the batch out (k entries) as in flight. Lock held. */
static void take_off(struct dest_queue *q, const struct entry *out, size_t k)
{
    for (size_t f = 0; f < MUX_MAX_WORKERS; f++)
        if (!q->flights[f].batch) {
            q->flights[f] = (struct flight){out, k};
            break;
        }
    q->in_flight += k;
    unsigned long long received = spool_received_ms(out[0].name);
    if (!q->oldest_in_flight_ms || received < q->oldest_in_flight_ms)
        q->oldest_in_flight_ms = received;
}

/* Wait for a push, a stop, or until the monotonic time deadline_ms (0: no
 * deadline). Lock held. */
static void wait_until(struct dest_queue *q, unsigned long long deadline_ms)
{
    if (!deadline_ms) {
        pthread_cond_wait(&q->ready, &q->lock);
        return;
    }
    struct timespec ts = clock_timespec(deadline_ms);
    pthread_cond_timedwait(&q->ready, &q->lock, &ts);
}

size_t queue_take(struct dest_queue *q, struct entry *out, size_t max)
{
    pthread_mutex_lock(&q->lock);
    size_t k = 0;
    while (!q->stop) {
        unsigned long long now = clock_mono_ms(), next;
        if (q->down_until_ms > now) { /* down: nothing is due before the next attempt */
            wait_until(q, q->down_until_ms);
            continue;
        }
        if ((k = take_due(q, out, max, now, &next)) > 0)
            break;
        wait_until(q, next);
    }
    if (k)
        take_off(q, out, k);
    pthread_mutex_unlock(&q->lock);
    return k;
}

static int entry_by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Merge the m entries of back into the queue, both ordered by name, in
 * one pass. Lock held. Out of memory, they wait in the spool (as insert). */
static void merge_back(struct dest_queue *q, struct entry *back, size_t m)
{
    struct entry *all = malloc((q->n + m) * sizeof *all);
    if (!all) {
        log_msg(LOG_ERROR, q->dest->peer.name, "out of memory: %zu entries wait in the spool until a restart", m);
        return;
    }
    qsort(back, m, sizeof *back, entry_by_name);
    size_t i = 0, j = 0, k = 0;
    while (i < q->n || j < m)
        if (j == m || (i < q->n && strcmp(q->items[i].name, back[j].name) < 0))
            all[k++] = q->items[i++];
        else
            all[k++] = back[j++];
    free(q->items);
    q->items = all;
    q->n = q->cap = k;
}

void queue_finished(struct dest_queue *q, struct entry *out)
{
    pthread_mutex_lock(&q->lock);
    for (size_t f = 0; f < MUX_MAX_WORKERS; f++)
        if (q->flights[f].batch == out) {
            size_t k = q->flights[f].k, m = 0;
            for (size_t i = 0; i < k; i++)
                if (out[i].again) {
                    out[i].again = 0;
                    out[m++] = out[i];
                }
            q->in_flight -= k;
            q->flights[f] = (struct flight){NULL, 0};
            if (m) {
                merge_back(q, out, m);
                pthread_cond_broadcast(&q->ready);
            }
            break;
        }
    if (!q->in_flight)
        q->oldest_in_flight_ms = 0;
    pthread_mutex_unlock(&q->lock);
}

void queue_put_back(struct entry *e)
{
    e->again = 1;
}

int queue_empty(struct dest_queue *q)
{
    pthread_mutex_lock(&q->lock);
    int empty = q->n == 0;
    pthread_mutex_unlock(&q->lock);
    return empty;
}

void forward_rescan(struct dest_queue *qs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        queue_load(&qs[i]);
}

void forward_stats(struct dest_queue *q, size_t *depth, double *oldest_s, double *down_s)
{
    unsigned long long wall = clock_wall_ms(), mono = clock_mono_ms();
    pthread_mutex_lock(&q->lock);
    *depth = q->n + q->in_flight;
    unsigned long long oldest = q->oldest_in_flight_ms;
    if (q->n && (!oldest || spool_received_ms(q->items[0].name) < oldest))
        oldest = spool_received_ms(q->items[0].name);
    *down_s = q->down_since_ms ? (double)(mono - q->down_since_ms) / 1000.0 : 0;
    pthread_mutex_unlock(&q->lock);
    /* a received time ahead of the wall clock (the clock set back) is age 0 */
    *oldest_s = oldest && wall > oldest ? (double)(wall - oldest) / 1000.0 : 0;
}
