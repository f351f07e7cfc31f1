/* orphans.h: the last phase of shutdown. Once every service has exited,
 * the processes left (orphans re-parented to cirr-init) get SIGTERM, a
 * grace period to finish their writes, then SIGKILL; cirr-init exits only
 * when none is left, so that the kernel never kills one mid-write.
 *
 * Owns: struct orphans, which processes were sent SIGTERM and when the
 * grace period ends. The event loop (supervisor.c) reaps, and calls
 * orphans_step while children remain. */
#ifndef CIRR_ORPHANS_H
#define CIRR_ORPHANS_H

#include <stdint.h>
#include <sys/types.h>

struct orphans {
    unsigned grace_ms;
    uint64_t deadline;      /* end of the grace period; 0 before the first step */
    int killed;             /* SIGKILL sent at the deadline */
    pid_t *termed;          /* sent SIGTERM already */
    unsigned ntermed;
};

void orphans_init(struct orphans *o, unsigned grace_ms);
void orphans_free(struct orphans *o);

/* Signal the children still running: SIGTERM once each, SIGKILL to all
 * after the grace period. */
void orphans_step(struct orphans *o, uint64_t now);

/* When to look again: children do not announce that they have gone. */
uint64_t orphans_deadline(const struct orphans *o, uint64_t now);

#endif
