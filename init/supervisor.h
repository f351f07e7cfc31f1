/* supervisor.h: the running state of cirr-init and its event loop.
 *
 * One poll() loop: a signalfd delivers every signal (nothing runs in signal
 * handlers), SIGCHLD reaps until waitpid finds nothing, probe results and
 * service output arrive on pipes. Each service moves through the states
 * below; the transitions live in service_sm.c. */
#ifndef CIRR_SUPERVISOR_H
#define CIRR_SUPERVISOR_H

#include "config.h"
#include "relay.h"

#include <stdint.h>
#include <sys/types.h>

enum svc_state {
    SVC_WAITING,   /* not started: waiting for its turn, probes or services */
    SVC_STARTING,  /* running, its readiness probe has not passed yet */
    SVC_READY,     /* running and ready */
    SVC_BACKOFF,   /* exited, restart pending */
    SVC_STOPPING,  /* stop signal sent */
    SVC_EXITED,    /* done, not restarting */
};

enum phase { PHASE_TASKS, PHASE_SERVICES, PHASE_STOPPING, PHASE_ORPHANS, PHASE_DONE };

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

struct probe_rt {
    struct probe *cfg;
    pid_t pid;              /* running probe process, or 0 */
    int fd;
    uint64_t deadline, next_run;
    int timed_out;
    int result;             /* -1 not yet run, 0 pass, 1 fail */
    int ever_passed;
    unsigned retry_ms;      /* current retry delay before the first pass */
    char reason[256];
    char pending[256];      /* what the running probe wrote so far */
    size_t pending_len;
};

struct supervisor {
    struct config *cfg;
    struct svc_rt *svc;
    unsigned nsvc;
    struct probe_rt *probes;
    unsigned nprobes;
    struct relay **relays;
    unsigned nrelays;
    int sigfd;
    int tty_fd;
    enum phase phase;
    int exit_code;          /* -1: the main service's status decides */
    int trigger_signal;     /* signal that started the shutdown, or 0 */
    unsigned orphan_grace_ms;
    uint64_t orphan_deadline;
    int orphans_killed;
    pid_t *termed;          /* orphans already sent SIGTERM */
    unsigned ntermed;
    const char *rundir;
    char hostname[256];
    int status_dirty;
};

uint64_t now_ms(void);

/* Set up signals and state for cfg; returns 0 or -1 with errno. */
int supervisor_init(struct supervisor *sup, struct config *cfg, const char *rundir);

/* Run until everything has stopped; returns cirr-init's exit status. */
int supervisor_run(struct supervisor *sup);

void supervisor_free(struct supervisor *sup);

/* service_sm.c: service transitions, driven by the loop. */
void services_step(struct supervisor *sup, uint64_t now);
void service_exited(struct supervisor *sup, struct svc_rt *s, int status, uint64_t now);
void begin_shutdown(struct supervisor *sup, int exit_code, int trigger_signal);
const char *svc_state_name(enum svc_state st);

/* probe_sched.c: when probes run, and their results. */
void probes_step(struct supervisor *sup, uint64_t now);
int probes_reaped(struct supervisor *sup, pid_t pid, int wait_status, uint64_t now);
void probes_read(struct supervisor *sup, struct probe_rt *p);
void probes_kill_all(struct supervisor *sup);
struct probe_rt *probe_rt_find(struct supervisor *sup, const char *name);

/* status.c: publish state to RUNDIR/status (atomic). */
void status_publish(struct supervisor *sup);
void status_remove(struct supervisor *sup);

/* The earliest pending deadline after now, or UINT64_MAX for none. */
uint64_t next_deadline(const struct supervisor *sup);

#endif
