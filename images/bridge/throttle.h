/* throttle.h: at most N associations to the upstream at once; requests
 * beyond them wait in a fair queue, served round robin by calling AE title
 * (so one caller's hundred retrieves cannot starve another's query). */
#ifndef BRIDGE_THROTTLE_H
#define BRIDGE_THROTTLE_H

#include <pthread.h>
#include <stdint.h>

struct throttle_waiter;

struct throttle {
    pthread_mutex_t mu;
    unsigned limit, in_use, high_water;
    unsigned queued;                 /* waiting now */
    unsigned long long waited_total; /* requests that had to wait */
    unsigned long long timed_out_total;
    struct throttle_waiter *head, *tail; /* arrival order */
    char last_caller[17];            /* the caller served last from the queue */
};

void throttle_init(struct throttle *t, unsigned limit);
void throttle_destroy(struct throttle *t);

/* Take a slot for caller, waiting at most timeout_ms; before it waits,
 * on_wait(ud, in use, queued with it) is called (under the lock: it only
 * logs). 0, or -1 when the wait timed out. */
int throttle_acquire(struct throttle *t, const char *caller, unsigned timeout_ms,
                     void (*on_wait)(void *ud, unsigned in_use, unsigned queued), void *ud);

/* Take a slot only when one is free and nobody waits: 0, or -1. */
int throttle_try_acquire(struct throttle *t);

/* Give a slot back: the next waiter in round-robin order gets it. */
void throttle_release(struct throttle *t);

#endif
