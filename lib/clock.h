/* clock.h: the two clocks cirr reads. Durations, deadlines and timeouts use
 * the monotonic clock (immune to the wall clock being set); the wall clock
 * is only for times that are stored or shown (spool file names, logs). */
#ifndef CIRR_CLOCK_H
#define CIRR_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC: for measuring and waiting. */
uint64_t clock_mono_ms(void);

/* Seconds on CLOCK_MONOTONIC, to the nanosecond: for timing short things. */
double clock_mono_s(void);

/* Milliseconds since the Unix epoch (CLOCK_REALTIME): for stored times. */
uint64_t clock_wall_ms(void);

/* The timespec of ms milliseconds on either clock (for timed waits). */
struct timespec clock_timespec(uint64_t ms);

#endif
