/* backoff.c: exponential restart backoff with a cap (see backoff.h). */
#include "backoff.h"

unsigned backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned fast_failures)
{
    unsigned long long d = base_ms;
    for (unsigned i = 0; i < fast_failures && d < cap_ms; i++)
        d *= 2;
    return d > cap_ms ? cap_ms : (unsigned)d;
}

unsigned backoff_next_failures(unsigned previous, unsigned long long run_ms, unsigned stable_ms)
{
    return run_ms >= stable_ms ? 0 : previous + 1;
}
