/* backoff.h: exponential delays with a cap, and jitter, for everything
 * that retries: cirr-init restarting a service, mux retrying a destination. */
#ifndef CIRR_BACKOFF_H
#define CIRR_BACKOFF_H

/* Delay before the next attempt after `failures` consecutive failures
 * (0 after a success): base * 2^failures, capped at cap. Never overflows. */
unsigned backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned failures);

/* Count of consecutive fast failures after a run of run_ms: reset to 0 when
 * the run lasted at least stable_ms, otherwise one more than before. */
unsigned backoff_next_failures(unsigned previous, unsigned long long run_ms, unsigned stable_ms);

/* delay_ms spread uniformly over [delay/2, delay], so that many callers
 * failing together do not retry together. Uses rand(): not for secrets. */
unsigned long long backoff_jitter_ms(unsigned long long delay_ms);

#endif
