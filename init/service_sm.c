/* service_sm.c: the life of a service or task: waiting for what it needs,
 * starting, becoming ready, exiting, backing off, restarting, stopping. */
#include "supervisor.h"

#include "backoff.h"
#include "log.h"
#include "relay.h"
#include "signame.h"
#include "spawn.h"
#include "strbuf.h"
#include "traefik.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EXIT_DEPENDENCY 99 /* a dependency did not become ready in time */

const char *svc_state_name(enum svc_state st)
{
    static const char *const names[] = {"waiting", "starting", "ready", "backoff", "stopping", "exited"};
    return names[st];
}

static int in_list(char **list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static struct svc_rt *svc_find(struct supervisor *sup, const char *name)
{
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (strcmp(sup->svc[i].cfg->name, name) == 0)
            return &sup->svc[i];
    return NULL;
}

static void add_relay(struct supervisor *sup, int fd, int out, const char *name)
{
    if (fd < 0)
        return;
    sup->relays = xrealloc(sup->relays, (sup->nrelays + 1) * sizeof *sup->relays);
    sup->relays[sup->nrelays++] = relay_new(fd, out, name);
}

static void became_ready(struct supervisor *sup, struct svc_rt *s)
{
    s->state = SVC_READY;
    sup->status_dirty = 1;
    log_msg(LOG_INFO, s->cfg->name, "ready");
    if (s->cfg->traefik.rule) {
        if (traefik_register(s->cfg, sup->hostname) < 0)
            log_msg(LOG_ERROR, s->cfg->name, "cannot write Traefik fragment in %s: %s",
                    s->cfg->traefik.dir, strerror(errno));
        else
            s->registered = 1;
    }
}

static void unregister(struct supervisor *sup, struct svc_rt *s)
{
    if (!s->registered)
        return;
    if (traefik_unregister(s->cfg, sup->hostname) < 0)
        log_msg(LOG_WARN, s->cfg->name, "cannot remove Traefik fragment: %s", strerror(errno));
    s->registered = 0;
}

static void start(struct supervisor *sup, struct svc_rt *s, uint64_t now)
{
    int out, err;
    int tty = s->cfg->is_main && !s->cfg->prefix_output ? sup->tty_fd : -1;
    pid_t pid = spawn_service(s->cfg, tty, &out, &err);
    if (pid < 0) {
        log_msg(LOG_ERROR, s->cfg->name, "unable to fork: %s", strerror(errno));
        begin_shutdown(sup, 111, 0);
        return;
    }
    add_relay(sup, out, STDOUT_FILENO, s->cfg->name);
    add_relay(sup, err, STDERR_FILENO, s->cfg->name);
    s->pid = pid;
    s->started_at = now;
    s->killed = 0;
    log_msg(LOG_INFO, s->cfg->name, "started %s (pid %d)", s->cfg->argv[0], (int)pid);
    if (s->cfg->ready && !s->cfg->is_task) {
        struct probe_rt *p = probe_rt_find(sup, s->cfg->ready);
        p->result = -1; /* a pass from an earlier run says nothing now */
        p->ever_passed = 0;
        p->retry_ms = 0;
        p->next_run = now;
        s->state = SVC_STARTING;
    } else if (s->cfg->is_task) {
        s->state = SVC_STARTING;
    } else {
        became_ready(sup, s);
    }
    sup->status_dirty = 1;
}

/* Names of what s still waits for, for the log line; empty when nothing. */
static void missing(struct supervisor *sup, struct svc_rt *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t n = 0;
    for (char **w = s->cfg->wait; w && *w; w++) {
        struct probe_rt *p = probe_rt_find(sup, *w);
        if (p->result != 0)
            n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%sprobe %s", n ? ", " : "", *w);
    }
    for (char **a = s->cfg->after; a && *a; a++) {
        struct svc_rt *d = svc_find(sup, *a);
        if (d->state != SVC_READY)
            n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%sservice %s", n ? ", " : "", *a);
    }
}

static void try_start(struct supervisor *sup, struct svc_rt *s, uint64_t now)
{
    char what[512];
    missing(sup, s, what, sizeof what);
    if (!what[0]) {
        if (s->wait_logged)
            log_msg(LOG_INFO, s->cfg->name, "dependencies ready");
        start(sup, s, now);
        return;
    }
    if (!s->wait_logged) {
        s->wait_logged = 1;
        s->wait_deadline = now + s->cfg->wait_timeout_ms;
        log_msg(LOG_INFO, s->cfg->name, "waiting for %s (up to %.1fs)", what,
                s->cfg->wait_timeout_ms / 1000.0);
    } else if (now >= s->wait_deadline) {
        log_msg(LOG_ERROR, s->cfg->name, "gave up after %.1fs waiting for %s",
                s->cfg->wait_timeout_ms / 1000.0, what);
        begin_shutdown(sup, EXIT_DEPENDENCY, 0);
    }
}

static void step_tasks(struct supervisor *sup, uint64_t now)
{
    for (unsigned i = 0; i < sup->nsvc; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (!s->cfg->is_task || s->state == SVC_EXITED)
            continue;
        if (s->state == SVC_WAITING)
            try_start(sup, s, now);
        return; /* one task at a time, in order */
    }
    sup->phase = PHASE_SERVICES;
    sup->status_dirty = 1;
}

static void step_services(struct supervisor *sup, uint64_t now)
{
    for (unsigned i = 0; i < sup->nsvc && sup->phase == PHASE_SERVICES; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (s->cfg->is_task)
            continue;
        if (s->state == SVC_WAITING)
            try_start(sup, s, now);
        else if (s->state == SVC_BACKOFF && now >= s->timer)
            start(sup, s, now);
        else if (s->state == SVC_STARTING) {
            struct probe_rt *p = probe_rt_find(sup, s->cfg->ready);
            if (p && p->result == 0)
                became_ready(sup, s);
        }
    }
}

static int has_live_dependents(struct supervisor *sup, struct svc_rt *s)
{
    for (unsigned i = 0; i < sup->nsvc; i++) {
        struct svc_rt *t = &sup->svc[i];
        if (t != s && t->pid && in_list(t->cfg->after, s->cfg->name))
            return 1;
    }
    return 0;
}

static void send_stop(struct supervisor *sup, struct svc_rt *s, uint64_t now)
{
    int sig = s->forward_trigger && sup->trigger_signal ? sup->trigger_signal : s->cfg->stop_signal;
    unregister(sup, s);
    log_msg(LOG_INFO, s->cfg->name, "stopping with %s (up to %.1fs)", signal_name(sig),
            s->cfg->stop_timeout_ms / 1000.0);
    if (kill(-s->pid, sig) < 0)
        kill(s->pid, sig);
    s->state = SVC_STOPPING;
    s->timer = now + s->cfg->stop_timeout_ms;
    sup->status_dirty = 1;
}

/* Stop services in reverse dependency order: a service gets its stop
 * signal once no running service depends on it. */
static void step_stopping(struct supervisor *sup, uint64_t now)
{
    unsigned alive = 0;
    for (unsigned i = sup->nsvc; i-- > 0;) {
        struct svc_rt *s = &sup->svc[i];
        if (!s->pid)
            continue;
        alive++;
        if ((s->state == SVC_STARTING || s->state == SVC_READY) && !has_live_dependents(sup, s))
            send_stop(sup, s, now);
        if (s->state == SVC_STOPPING && !s->killed && now >= s->timer) {
            log_msg(LOG_WARN, s->cfg->name, "did not stop within %.1fs; sending SIGKILL",
                    s->cfg->stop_timeout_ms / 1000.0);
            kill(-s->pid, SIGKILL);
            kill(s->pid, SIGKILL);
            s->killed = 1;
        }
    }
    if (alive == 0)
        sup->phase = PHASE_ORPHANS;
}

void services_step(struct supervisor *sup, uint64_t now)
{
    if (sup->phase == PHASE_TASKS)
        step_tasks(sup, now);
    if (sup->phase == PHASE_SERVICES)
        step_services(sup, now);
    if (sup->phase == PHASE_STOPPING)
        step_stopping(sup, now);
}

void begin_shutdown(struct supervisor *sup, int exit_code, int trigger_signal)
{
    if (sup->exit_code < 0 && exit_code >= 0)
        sup->exit_code = exit_code;
    if (sup->phase >= PHASE_STOPPING)
        return;
    sup->phase = PHASE_STOPPING;
    sup->trigger_signal = trigger_signal;
    sup->status_dirty = 1;
    if (trigger_signal)
        log_msg(LOG_INFO, NULL, "received %s; shutting down", signal_name(trigger_signal));
    else
        log_msg(LOG_INFO, NULL, "shutting down");
    probes_kill_all(sup);
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (sup->svc[i].state == SVC_WAITING || sup->svc[i].state == SVC_BACKOFF)
            sup->svc[i].state = SVC_EXITED;
}

static void restart_or_give_up(struct supervisor *sup, struct svc_rt *s, int status, uint64_t now)
{
    const struct service *c = s->cfg;
    s->fast_failures = backoff_next_failures(s->fast_failures, now - s->started_at, c->stable_ms);
    if (c->max_fast_failures && s->fast_failures >= c->max_fast_failures) {
        log_msg(LOG_ERROR, c->name, "exited with status %d, %u times in a row within %.1fs "
                "of starting; giving up", status, s->fast_failures, c->stable_ms / 1000.0);
        s->state = SVC_EXITED;
        begin_shutdown(sup, status ? status : 1, 0);
        return;
    }
    unsigned delay = backoff_delay_ms(c->backoff_ms, c->backoff_max_ms,
                                      s->fast_failures ? s->fast_failures - 1 : 0);
    log_msg(LOG_WARN, c->name, "exited with status %d; restarting in %.1fs", status, delay / 1000.0);
    s->state = SVC_BACKOFF;
    s->timer = now + delay;
    s->restarts++;
}

void service_exited(struct supervisor *sup, struct svc_rt *s, int status, uint64_t now)
{
    const struct service *c = s->cfg;
    s->pid = 0;
    s->last_status = status;
    s->has_status = 1;
    sup->status_dirty = 1;
    unregister(sup, s);
    if (sup->phase >= PHASE_STOPPING) {
        s->state = SVC_EXITED;
        log_msg(LOG_INFO, c->name, "stopped (status %d)", status);
        return;
    }
    if (c->is_task) {
        s->state = SVC_EXITED;
        if (status != 0) {
            log_msg(LOG_ERROR, c->name, "task failed with status %d; start-up aborted", status);
            begin_shutdown(sup, status, 0);
        } else {
            log_msg(LOG_INFO, c->name, "task done");
        }
        return;
    }
    int restart = c->restart == RESTART_ALWAYS || (c->restart == RESTART_ON_FAILURE && status != 0);
    if (restart) {
        restart_or_give_up(sup, s, status, now);
        return;
    }
    s->state = SVC_EXITED;
    log_msg(status ? LOG_WARN : LOG_INFO, c->name, "exited with status %d", status);
    if (c->is_main)
        begin_shutdown(sup, status, 0);
}
