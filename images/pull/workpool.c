/* workpool.c: the threads of workpool_run take the next index with an
 * atomic counter until none is left. */
#include "workpool.h"

#include "log.h"

#include <pthread.h>

struct pool {
    size_t n, next;
    void (*each)(size_t i, void *ctx);
    void *ctx;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (i >= p->n)
            return NULL;
        p->each(i, p->ctx);
    }
}

void workpool_run(size_t n, unsigned threads, void (*each)(size_t i, void *ctx), void *ctx)
{
    struct pool p = {n, 0, each, ctx};
    pthread_t started[64];
    unsigned count = 0;
    for (; count + 1 < threads && count < 64; count++)
        if (pthread_create(&started[count], NULL, worker, &p) != 0)
            die(111, "cannot start a worker thread");
    worker(&p);
    for (unsigned i = 0; i < count; i++)
        pthread_join(started[i], NULL);
}
