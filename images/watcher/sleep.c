/* sleep.c: waits that a stopping watcher cuts short (see watcher.h). */
#include "watcher.h"

#include "backoff.h"

#include <time.h>

void watcher_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

int watcher_sleep(struct watcher *w, unsigned ms)
{
    while (ms && !atomic_load(&w->stopping)) {
        unsigned slice = ms < 50 ? ms : 50;
        struct timespec ts = {0, (long)slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return atomic_load(&w->stopping) != 0;
}

int watcher_backoff(struct watcher *w, unsigned failures)
{
    unsigned long long d = backoff_jitter_ms(backoff_delay_ms(w->conf.retry_base_ms, w->conf.retry_max_ms,
                                                              failures ? failures - 1 : 0));
    return watcher_sleep(w, (unsigned)d);
}
