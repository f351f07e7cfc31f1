/* service_sm.h: the life of one service or task, as a [state][event] table.
 *
 * Owns: struct svc_rt, the running state of one service (its state, pid,
 * timers, restart counters, last status, Traefik registration). Nothing
 * else writes it.
 *
 * Knows nothing of other services, probes or the event loop: the loop
 * (supervisor.c) decides which event has happened (its dependencies are
 * ready, its readiness probe passed, it exited, it must stop) and passes
 * what the transition needs in struct svc_args; the transition says what
 * the loop must do next in struct svc_effect (relay its output, shut
 * everything down). Calls go one way: supervisor.c -> here -> spawn.c,
 * traefik.c. */
#ifndef CIRR_SERVICE_SM_H
#define CIRR_SERVICE_SM_H

#include "config.h"

#include <stdint.h>
#include <sys/types.h>

enum svc_state {
    SVC_WAITING,   /* not started: waiting for its turn, probes or services */
    SVC_STARTING,  /* running, its readiness probe has not passed yet */
    SVC_READY,     /* running and ready */
    SVC_BACKOFF,   /* exited, restart pending */
    SVC_STOPPING,  /* stop signal sent */
    SVC_EXITED,    /* done, not restarting */
    SVC_STATE_COUNT
};

enum svc_event {
    SVC_EV_BLOCKED,   /* may start, but still waits for args.missing */
    SVC_EV_START,     /* may start now: nothing is missing */
    SVC_EV_PASSED,    /* its readiness probe passed */
    SVC_EV_EXITED,    /* reaped with args.status */
    SVC_EV_STOP,      /* shutting down and nothing running depends on it */
    SVC_EV_TICK,      /* time passed: a backoff or a stop timeout may be over */
    SVC_EV_ABANDON,   /* shutting down before it (re)started */
    SVC_EVENT_COUNT
};

struct svc_rt {
    struct service *cfg;
    enum svc_state state;
    pid_t pid;
    uint64_t started_at;
    uint64_t timer;         /* backoff: next start; stopping: KILL deadline */
    uint64_t wait_deadline;
    int wait_logged;
    int killed;
    unsigned restarts, fast_failures;
    int last_status, has_status;
    int registered;         /* Traefik fragment written */
    int forward_trigger;    /* stop with the signal that triggered shutdown */
};

/* A read-only view of every service and task, in start order (tasks
 * first; each service after those in its `after` list). */
struct svc_list {
    const struct svc_rt *items;
    unsigned n;
};

/* What a transition needs to know beyond the service itself. */
struct svc_args {
    uint64_t now;
    int status;             /* SVC_EV_EXITED: the exit status */
    int shutting_down;      /* SVC_EV_EXITED: cirr-init is stopping */
    const char *missing;    /* SVC_EV_BLOCKED: "probe db, service web" */
    int trigger_signal;     /* SVC_EV_STOP: the signal that began the shutdown, or 0 */
    int tty_fd;             /* (re)start: terminal to hand over, or -1 */
    const char *hostname;   /* Traefik registration */
};

/* What the event loop must do after a transition. */
struct svc_effect {
    int changed;            /* the status file is out of date */
    int started;            /* a process started: its readiness probe starts afresh */
    int shutdown;           /* begin the shutdown ... */
    int exit_code;          /* ... with this exit status (-1: the main service's) */
    int out_fd, err_fd;     /* started: its output pipes to relay, or -1 */
};

/* A service at rest (SVC_WAITING) for cfg. */
void svc_init(struct svc_rt *s, struct service *cfg);

/* Apply ev to s. An event its state does not expect changes nothing. */
struct svc_effect svc_handle(struct svc_rt *s, enum svc_event ev, const struct svc_args *args);

/* The earliest time s wants an event (SVC_EV_TICK when a backoff or a stop
 * timeout ends, SVC_EV_BLOCKED when its wait times out), or UINT64_MAX. */
uint64_t svc_deadline(const struct svc_rt *s);

/* "waiting", "starting", ... as in the status file. */
const char *svc_state_name(enum svc_state st);

#endif
