/* backoff.h: restart delays for supervised services. */
#ifndef CIRR_BACKOFF_H
#define CIRR_BACKOFF_H

/* Delay before the next start after `fast_failures` consecutive fast
 * failures (0 after a stable run): base * 2^fast_failures, capped at cap.
 * Never overflows. */
unsigned backoff_delay_ms(unsigned base_ms, unsigned cap_ms, unsigned fast_failures);

/* Count of consecutive fast failures after a run of run_ms: reset to 0 when
 * the run lasted at least stable_ms, otherwise one more than before. */
unsigned backoff_next_failures(unsigned previous, unsigned long long run_ms, unsigned stable_ms);

#endif
