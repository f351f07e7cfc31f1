/* backoff.c: see backoff.h. */
#include "backoff.h"

#include <stdlib.h>

unsigned backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned failures)
{
    unsigned long long d = base_ms;
    for (unsigned i = 0; i < failures && d < cap_ms; i++)
        d *= 2;
    return d > cap_ms ? cap_ms : (unsigned)d;
}

unsigned backoff_next_failures(unsigned previous, unsigned long long run_ms, unsigned stable_ms)
{
    return run_ms >= stable_ms ? 0 : previous + 1;
}

unsigned long long backoff_jitter_ms(unsigned long long delay_ms)
{
    unsigned long long half = delay_ms / 2;
    return half + (unsigned long long)rand() % (delay_ms - half + 1);
}
