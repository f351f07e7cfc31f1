/* workpool.h: n items handed out one at a time to a few threads. */
#ifndef CIRR_PULL_WORKPOOL_H
#define CIRR_PULL_WORKPOOL_H

#include <stddef.h>

/* Call each(i, ctx) once for every i in [0, n), on threads threads (1 to
 * 64; the calling thread is one of them), and return when all are done.
 * each must be thread-safe. A thread that cannot start is fatal (111). */
void workpool_run(size_t n, unsigned threads, void (*each)(size_t i, void *ctx), void *ctx);

#endif
