/* supervisor.c: cirr-init's event loop (see supervisor.h): start-up tasks
 * one at a time, then services in dependency order, then the shutdown in
 * reverse order, then the orphans; signals, reaping and output relays
 * throughout. Each service's own transitions are in service_sm.c. */
#include "supervisor.h"

#include "clock.h"
#include "deps.h"
#include "log.h"
#include "signame.h"
#include "spawn.h"
#include "strbuf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MAX_MS 60000u

static const char *const phase_names[] = {"tasks", "services", "stopping", "orphans", "done"};

/* Block every signal but the synchronous faults and take them all from a
 * signalfd: no code ever runs in a signal handler. */
static int setup_signals(struct supervisor *sup)
{
    sigset_t all;
    sigfillset(&all);
    static const int faults[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
        sigdelset(&all, faults[i]);
    if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
        return -1;
    sup->sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    return sup->sigfd < 0 ? -1 : 0;
}

int supervisor_init(struct supervisor *sup, struct config *cfg, const struct supervisor_opts *opts)
{
    memset(sup, 0, sizeof *sup);
    sup->cfg = cfg;
    sup->sigfd = -1;
    sup->tty_fd = opts->tty_fd;
    sup->exit_code = -1;
    sup->nsvc = cfg->service_count;
    sup->svc = calloc(sup->nsvc ? sup->nsvc : 1, sizeof *sup->svc);
    sup->probe_needed = calloc(cfg->probe_count ? cfg->probe_count : 1, 1);
    if (!sup->svc || !sup->probe_needed || probe_set_init(&sup->probes, cfg) < 0)
        return -1;
    for (unsigned i = 0; i < sup->nsvc; i++) {
        svc_init(&sup->svc[i], &cfg->services[i]);
        sup->svc[i].forward_trigger = opts->forward_to_main && cfg->services[i].is_main;
    }
    if (gethostname(sup->hostname, sizeof sup->hostname - 1) < 0)
        snprintf(sup->hostname, sizeof sup->hostname, "localhost");
    status_open(&sup->status, opts->rundir);
    orphans_init(&sup->orphans, opts->orphan_grace_ms);
    /* Not PID 1: become the subreaper, so orphans of our services are ours. */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_msg(LOG_WARN, NULL, "cannot become child subreaper: %s", strerror(errno));
    sup->status_dirty = 1;
    return setup_signals(sup);
}

void supervisor_free(struct supervisor *sup)
{
    relay_set_drain(&sup->relays);
    probe_set_free(&sup->probes);
    orphans_free(&sup->orphans);
    free(sup->svc);
    free(sup->probe_needed);
    if (sup->sigfd >= 0)
        close(sup->sigfd);
}

static struct svc_list all_services(const struct supervisor *sup)
{
    return (struct svc_list){sup->svc, sup->nsvc};
}

static void set_phase(struct supervisor *sup, enum phase phase)
{
    sup->phase = phase;
    sup->status_dirty = 1;
}

/* What every service transition may need to know about the run. */
static struct svc_args args_at(const struct supervisor *sup, uint64_t now)
{
    return (struct svc_args){
        .now = now,
        .shutting_down = sup->phase >= PHASE_STOPPING,
        .trigger_signal = sup->trigger_signal,
        .tty_fd = sup->tty_fd,
        .hostname = sup->hostname,
    };
}

static void deliver(struct supervisor *sup, struct svc_rt *s, enum svc_event ev,
                    const struct svc_args *a);

static void begin_shutdown(struct supervisor *sup, int exit_code, int trigger_signal, uint64_t now)
{
    if (sup->exit_code < 0 && exit_code >= 0)
        sup->exit_code = exit_code;
    if (sup->phase >= PHASE_STOPPING)
        return;
    set_phase(sup, PHASE_STOPPING);
    sup->trigger_signal = trigger_signal;
    if (trigger_signal)
        log_msg(LOG_INFO, NULL, "received %s; shutting down", signal_name(trigger_signal));
    else
        log_msg(LOG_INFO, NULL, "shutting down");
    probe_set_stop(&sup->probes);
    struct svc_args a = args_at(sup, now);
    for (unsigned i = 0; i < sup->nsvc; i++)
        deliver(sup, &sup->svc[i], SVC_EV_ABANDON, &a);
}

/* Send ev to s, then do what the transition asks of the loop. */
static void deliver(struct supervisor *sup, struct svc_rt *s, enum svc_event ev,
                    const struct svc_args *a)
{
    struct svc_effect fx = svc_handle(s, ev, a);
    relay_set_add(&sup->relays, fx.out_fd, STDOUT_FILENO, s->cfg->name);
    relay_set_add(&sup->relays, fx.err_fd, STDERR_FILENO, s->cfg->name);
    if (fx.started && s->cfg->ready)
        probe_rearm(probe_set_find(&sup->probes, s->cfg->ready), a->now);
    if (fx.changed)
        sup->status_dirty = 1;
    if (fx.shutdown)
        begin_shutdown(sup, fx.exit_code, 0, a->now);
}

/* s may start: start it, or tell it what it still waits for. */
static void try_start(struct supervisor *sup, struct svc_rt *s, uint64_t now)
{
    char what[512];
    struct svc_list all = all_services(sup);
    deps_missing(&all, &sup->probes, s, what, sizeof what);
    struct svc_args a = args_at(sup, now);
    a.missing = what;
    deliver(sup, s, what[0] ? SVC_EV_BLOCKED : SVC_EV_START, &a);
}

/* Tasks run one at a time, in file order; then the services' turn. */
static void step_tasks(struct supervisor *sup, uint64_t now)
{
    for (unsigned i = 0; i < sup->nsvc; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (!s->cfg->is_task || s->state == SVC_EXITED)
            continue;
        if (s->state == SVC_WAITING)
            try_start(sup, s, now);
        return;
    }
    set_phase(sup, PHASE_SERVICES);
}

static void step_services(struct supervisor *sup, uint64_t now)
{
    struct svc_args a = args_at(sup, now);
    for (unsigned i = 0; i < sup->nsvc && sup->phase == PHASE_SERVICES; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (s->cfg->is_task)
            continue;
        if (s->state == SVC_WAITING) {
            try_start(sup, s, now);
        } else if (s->state == SVC_STARTING) {
            const struct probe_rt *p = probe_set_find(&sup->probes, s->cfg->ready);
            if (p && p->result == 0)
                deliver(sup, s, SVC_EV_PASSED, &a);
        } else {
            deliver(sup, s, SVC_EV_TICK, &a);
        }
    }
}

/* Stop services in reverse dependency order: a service gets its stop
 * signal once no running service depends on it. */
static void step_stopping(struct supervisor *sup, uint64_t now)
{
    struct svc_list all = all_services(sup);
    struct svc_args a = args_at(sup, now);
    unsigned alive = 0;
    for (unsigned i = sup->nsvc; i-- > 0;) {
        struct svc_rt *s = &sup->svc[i];
        if (!s->pid)
            continue;
        alive++;
        if ((s->state == SVC_STARTING || s->state == SVC_READY) && !deps_has_live_dependents(&all, s))
            deliver(sup, s, SVC_EV_STOP, &a);
        deliver(sup, s, SVC_EV_TICK, &a);
    }
    if (alive == 0)
        set_phase(sup, PHASE_ORPHANS);
}

static void step_probes(struct supervisor *sup, uint64_t now)
{
    struct svc_list all = all_services(sup);
    for (unsigned i = 0; i < sup->probes.n; i++)
        sup->probe_needed[i] = sup->phase < PHASE_STOPPING &&
                               deps_probe_needed(&all, &sup->probes.items[i], sup->phase == PHASE_TASKS);
    probe_set_step(&sup->probes, sup->probe_needed, now);
}

static struct svc_rt *svc_by_pid(struct supervisor *sup, pid_t pid)
{
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (sup->svc[i].pid == pid)
            return &sup->svc[i];
    return NULL;
}

/* Reap until waitpid finds nothing more. Returns 0 once no child is left. */
static int reap(struct supervisor *sup, uint64_t now)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            return 0;
        if (pid <= 0)
            return 1;
        struct svc_rt *s = svc_by_pid(sup, pid);
        if (s) {
            struct svc_args a = args_at(sup, now);
            a.status = spawn_exit_status(st);
            deliver(sup, s, SVC_EV_EXITED, &a);
            continue;
        }
        enum probe_reap r = probe_set_reaped(&sup->probes, pid, st, now);
        if (r == PROBE_CHANGED)
            sup->status_dirty = 1;
        else if (r == PROBE_NOT_MINE)
            log_msg(LOG_DEBUG, NULL, "reaped orphan %d (status %d)", (int)pid, spawn_exit_status(st));
    }
}

static void forward(struct supervisor *sup, int sig)
{
    for (unsigned i = 0; i < sup->nsvc; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (s->pid && kill(-s->pid, sig) < 0)
            kill(s->pid, sig);
    }
}

static void handle_signals(struct supervisor *sup, uint64_t now)
{
    struct signalfd_siginfo si;
    while (read(sup->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        switch (sig) {
        case SIGCHLD: reap(sup, now); break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT: begin_shutdown(sup, -1, sig, now); break;
        case SIGHUP:
        case SIGUSR1:
        case SIGUSR2:
        case SIGWINCH: forward(sup, sig); break;
        default: log_msg(LOG_DEBUG, NULL, "ignoring %s", signal_name(sig)); break;
        }
    }
    reap(sup, now); /* SIGCHLDs coalesce: always look once more */
}

/* Milliseconds until the earliest deadline of any part; -1: none. */
static int poll_timeout(const struct supervisor *sup, uint64_t now)
{
    uint64_t t = probe_set_deadline(&sup->probes, now);
    for (unsigned i = 0; i < sup->nsvc; i++) {
        uint64_t d = svc_deadline(&sup->svc[i]);
        t = d < t ? d : t;
    }
    if (sup->phase == PHASE_ORPHANS) {
        uint64_t d = orphans_deadline(&sup->orphans, now);
        t = d < t ? d : t;
    }
    if (t == UINT64_MAX)
        return -1;
    return t <= now ? 0 : (int)(t - now > POLL_MAX_MS ? POLL_MAX_MS : t - now);
}

static void poll_once(struct supervisor *sup, int timeout)
{
    struct pollfd *fds = xmalloc((1 + sup->relays.n + sup->probes.n) * sizeof *fds);
    fds[0] = (struct pollfd){.fd = sup->sigfd, .events = POLLIN};
    unsigned nrel = relay_set_pollfds(&sup->relays, fds + 1);
    unsigned nprobe = probe_set_pollfds(&sup->probes, fds + 1 + nrel);
    if (poll(fds, 1 + nrel + nprobe, timeout) < 0 && errno != EINTR)
        log_msg(LOG_ERROR, NULL, "poll: %s", strerror(errno));
    uint64_t now = clock_mono_ms();
    relay_set_read(&sup->relays, fds + 1);
    probe_set_read(&sup->probes, fds + 1 + nrel);
    if (fds[0].revents)
        handle_signals(sup, now);
    free(fds);
}

static int exit_status(const struct supervisor *sup)
{
    if (sup->exit_code >= 0)
        return sup->exit_code;
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (sup->svc[i].cfg->is_main && sup->svc[i].has_status)
            return sup->svc[i].last_status;
    return sup->trigger_signal ? 128 + sup->trigger_signal : 0;
}

int supervisor_run(struct supervisor *sup)
{
    for (;;) {
        uint64_t now = clock_mono_ms();
        if (sup->phase == PHASE_TASKS)
            step_tasks(sup, now);
        if (sup->phase == PHASE_SERVICES)
            step_services(sup, now);
        if (sup->phase == PHASE_STOPPING)
            step_stopping(sup, now);
        step_probes(sup, now);
        if (sup->phase == PHASE_ORPHANS && !reap(sup, now))
            set_phase(sup, PHASE_DONE);
        else if (sup->phase == PHASE_ORPHANS)
            orphans_step(&sup->orphans, now);
        if (sup->status_dirty) {
            struct svc_list all = all_services(sup);
            status_publish(&sup->status, phase_names[sup->phase], &all, &sup->probes);
            sup->status_dirty = 0;
        }
        if (sup->phase == PHASE_DONE)
            break;
        poll_once(sup, poll_timeout(sup, now));
    }
    relay_set_drain(&sup->relays);
    status_remove(&sup->status);
    return exit_status(sup);
}
