/* supervisor.h: cirr-init's event loop, the top of the supervisor.
 *
 * One poll() loop: a signalfd delivers every signal (nothing runs in signal
 * handlers), SIGCHLD reaps until waitpid finds nothing, probe results and
 * service output arrive on pipes. The loop moves through the phases below.
 *
 * Owns: struct supervisor: the phase, the exit status, the signal that
 * began the shutdown, and the parts below, each owned by its own file,
 * which the loop calls and which never call back:
 *
 *   supervisor.c   phases, signals, reaping, poll   (this file)
 *     service_sm.c   one service's [state][event] table  (struct svc_rt)
 *     probe_sched.c  when probes run, their results      (struct probe_set)
 *     deps.c         what waits for what (read-only questions, no state)
 *     status.c       RUNDIR/status                       (struct status_file)
 *     orphans.c      TERM/grace/KILL of what is left     (struct orphans)
 *     relay.c        service output, line by line        (struct relay_set)
 *
 * Transitions return what the loop must do next (struct svc_effect, enum
 * probe_reap) rather than changing the loop's state themselves. */
#ifndef CIRR_SUPERVISOR_H
#define CIRR_SUPERVISOR_H

#include "config.h"
#include "orphans.h"
#include "probe_sched.h"
#include "relay.h"
#include "service_sm.h"
#include "status.h"

#include <stdint.h>

enum phase { PHASE_TASKS, PHASE_SERVICES, PHASE_STOPPING, PHASE_ORPHANS, PHASE_DONE };

/* How main.c wants the run: fixed before it starts. */
struct supervisor_opts {
    const char *rundir;         /* where the status file goes (NULL: nowhere) */
    unsigned orphan_grace_ms;   /* orphans' time between SIGTERM and SIGKILL */
    int tty_fd;                 /* terminal the main service may take, or -1 */
    int forward_to_main;        /* stop the main service with the signal received */
};

struct supervisor {
    struct config *cfg;
    struct svc_rt *svc;         /* one per service and task, in start order */
    unsigned nsvc;
    struct probe_set probes;
    unsigned char *probe_needed; /* one flag per probe, worked out each step */
    struct relay_set relays;
    struct status_file status;
    struct orphans orphans;
    int sigfd;
    int tty_fd;
    enum phase phase;
    int exit_code;              /* -1: the main service's status decides */
    int trigger_signal;         /* signal that started the shutdown, or 0 */
    char hostname[256];
    int status_dirty;
};

/* Set up signals and state for cfg; returns 0 or -1 with errno. */
int supervisor_init(struct supervisor *sup, struct config *cfg, const struct supervisor_opts *opts);

/* Run until everything has stopped; returns cirr-init's exit status. */
int supervisor_run(struct supervisor *sup);

void supervisor_free(struct supervisor *sup);

#endif
