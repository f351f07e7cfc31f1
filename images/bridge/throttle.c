/* throttle.c: see throttle.h. A slot passes straight from the releasing
 * thread to the chosen waiter (granted flag), so a newcomer can never
 * overtake the queue. */
#include "throttle.h"

#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct throttle_waiter {
    char caller[17];
    int granted;
    pthread_cond_t cond;
    struct throttle_waiter *next;
};

void throttle_init(struct throttle *t, unsigned limit)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
    t->limit = limit;
}

void throttle_destroy(struct throttle *t) { pthread_mutex_destroy(&t->mu); }

static void unlink_waiter(struct throttle *t, struct throttle_waiter *w)
{
    struct throttle_waiter **p = &t->head, *prev = NULL;
    while (*p && *p != w)
        prev = *p, p = &(*p)->next;
    if (!*p)
        return;
    *p = w->next;
    if (t->tail == w)
        t->tail = prev;
    t->queued--;
}

/* Round robin: the oldest waiter of the first caller (in AE title order)
 * after the one served last, wrapping around. */
static struct throttle_waiter *next_waiter(struct throttle *t)
{
    struct throttle_waiter *after = NULL, *first = NULL;
    for (struct throttle_waiter *w = t->head; w; w = w->next) {
        if (!first || strcmp(w->caller, first->caller) < 0)
            first = w;
        if (strcmp(w->caller, t->last_caller) > 0 && (!after || strcmp(w->caller, after->caller) < 0))
            after = w;
    }
    return after ? after : first;
}

static void take(struct throttle *t)
{
    if (++t->in_use > t->high_water)
        t->high_water = t->in_use;
}

int throttle_acquire(struct throttle *t, const char *caller, unsigned timeout_ms,
                     void (*on_wait)(void *ud, unsigned in_use, unsigned queued), void *ud)
{
    pthread_mutex_lock(&t->mu);
    if (t->in_use < t->limit && !t->head) {
        take(t);
        pthread_mutex_unlock(&t->mu);
        return 0;
    }
    struct throttle_waiter w = {.granted = 0, .next = NULL};
    snprintf(w.caller, sizeof w.caller, "%s", caller);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.cond, &attr);
    pthread_condattr_destroy(&attr);
    if (t->tail)
        t->tail->next = &w;
    else
        t->head = &w;
    t->tail = &w;
    t->queued++;
    t->waited_total++;
    if (on_wait)
        on_wait(ud, t->in_use, t->queued);
    struct timespec deadline = clock_timespec(clock_mono_ms() + timeout_ms);
    int rc = 0;
    while (!w.granted && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w.cond, &t->mu, &deadline);
    if (!w.granted) {
        unlink_waiter(t, &w);
        t->timed_out_total++;
    }
    pthread_cond_destroy(&w.cond);
    pthread_mutex_unlock(&t->mu);
    return w.granted ? 0 : -1;
}

int throttle_try_acquire(struct throttle *t)
{
    pthread_mutex_lock(&t->mu);
    int free = t->in_use < t->limit && !t->head;
    if (free)
        take(t);
    pthread_mutex_unlock(&t->mu);
    return free ? 0 : -1;
}

void throttle_release(struct throttle *t)
{
    pthread_mutex_lock(&t->mu);
    t->in_use--;
    struct throttle_waiter *w = next_waiter(t);
    if (w) {
        unlink_waiter(t, w);
        snprintf(t->last_caller, sizeof t->last_caller, "%s", w->caller);
        take(t);
        w->granted = 1;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&t->mu);
}
