/* probe_sched.h: when each probe runs, and what it last said.
 *
 * Owns: struct probe_set, the running state of every probe (its process,
 * output pipe, deadlines, last result and reason, retry delay). Nothing
 * else writes it.
 *
 * Knows nothing of services: the event loop (supervisor.c) says which
 * probes are needed now (deps.h works that out) and hands over what it
 * reaps; results are read back through the struct. Calls go one way:
 * supervisor.c -> here -> probe.c. */
#ifndef CIRR_PROBE_SCHED_H
#define CIRR_PROBE_SCHED_H

#include "config.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct probe_rt {
    struct probe *cfg;
    pid_t pid;              /* running probe process, or 0 */
    int fd;
    uint64_t deadline, next_run;
    int timed_out;
    int result;             /* -1 not yet run, 0 pass, 1 fail */
    int ever_passed;
    unsigned retry_ms;      /* current retry delay before the first pass */
    char reason[256];       /* redacted, first line only */
    char *pending;          /* what the running probe wrote so far (malloc'd) */
    size_t pending_len, pending_cap;
    int pending_cut;        /* it wrote more than PROBE_OUTPUT_MAX: the rest was dropped */
};

/* How much of a probe's output is kept until it exits: enough to hold any
 * secret whole (secrets.c reads at most 64 KiB), since the output is
 * redacted as a whole before its first line becomes the reason. */
#define PROBE_OUTPUT_MAX (64 * 1024)

struct probe_set {
    struct probe_rt *items;
    unsigned n;
    int stopped;            /* shutting down: nothing runs, nothing is recorded */
};

/* What probe_set_reaped found. */
enum probe_reap { PROBE_NOT_MINE, PROBE_SAME, PROBE_CHANGED };

/* One probe_rt per probe of cfg, none run yet. Returns 0, or -1 (ENOMEM). */
int probe_set_init(struct probe_set *set, const struct config *cfg);
void probe_set_free(struct probe_set *set);

/* The probe called name, or NULL (also for a NULL name). */
struct probe_rt *probe_set_find(const struct probe_set *set, const char *name);

/* Start afresh: an earlier pass says nothing about a service that has just
 * (re)started; run the probe now and retry quickly until it passes. */
void probe_rearm(struct probe_rt *p, uint64_t now);

/* Start the probes that are due and needed (needed[i] for items[i]), and
 * kill those past their timeout. */
void probe_set_step(struct probe_set *set, const unsigned char *needed, uint64_t now);

/* Put each probe's pipe in fds (n entries, -1 when none); returns n. */
unsigned probe_set_pollfds(const struct probe_set *set, struct pollfd *fds);

/* Read the pipes that poll() found readable (fds as filled above). */
void probe_set_read(struct probe_set *set, const struct pollfd *fds);

/* If pid is one of the probes, record its result and schedule its next run. */
enum probe_reap probe_set_reaped(struct probe_set *set, pid_t pid, int wait_status, uint64_t now);

/* Shutting down: kill the running probes; start and record nothing more. */
void probe_set_stop(struct probe_set *set);

/* The earliest time a running probe times out or an idle one is due after
 * now, or UINT64_MAX. */
uint64_t probe_set_deadline(const struct probe_set *set, uint64_t now);

#endif
