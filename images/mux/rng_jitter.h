/* rng_jitter.h: retry delays spread over [d/2, d] so that many instances
 * failing together do not retry together. */
#ifndef MUX_JITTER_H
#define MUX_JITTER_H

#include <stdlib.h>

static inline unsigned long long jitter(unsigned long long delay_ms)
{
    return delay_ms / 2 + (unsigned long long)(rand() % (int)(delay_ms / 2 + 1));
}

#endif
