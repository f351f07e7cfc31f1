/* backoff.c: see backoff.h. */
#include "backoff.h"

#include <stdlib.h>

/* rand() gives at least 31 random bits on glibc and musl. */
#if RAND_MAX < 0x7fffffff
#error "backoff_jitter_ms needs 31 random bits from rand()"
#endif

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

/* Uniform in [0, n] for n < ULLONG_MAX: one rand() covers 31 bits, so
 * wider ranges take several (rand() alone would leave a delay of 2^40 ms
 * within 2^31 ms of its half). */
static unsigned long long random_upto(unsigned long long n)
{
    unsigned long long r = 0;
    for (unsigned long long left = n; left; left >>= 31)
        r = r << 31 | (unsigned long long)(rand() & 0x7fffffff);
    return r % (n + 1);
}

unsigned long long backoff_jitter_ms(unsigned long long delay_ms)
{
    unsigned long long half = delay_ms / 2;
    return half + random_upto(delay_ms - half);
}
