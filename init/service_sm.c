/* service_sm.c: the life of one service or task (see service_sm.h):
 * waiting for what it needs, starting, becoming ready, exiting, backing
 * off, restarting, stopping. One small action per [state][event] pair. */
#include "service_sm.h"

#include "backoff.h"
#include "log.h"
#include "signame.h"
#include "spawn.h"
#include "traefik.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#define EXIT_DEPENDENCY 99 /* a dependency did not become ready in time */
#define EXIT_SYSTEM 111    /* fork failed */

typedef void action(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx);

const char *svc_state_name(enum svc_state st)
{
    static const char *const names[] = {"waiting", "starting", "ready", "backoff", "stopping", "exited"};
    return names[st];
}

void svc_init(struct svc_rt *s, struct service *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    s->state = SVC_WAITING;
}

uint64_t svc_deadline(const struct svc_rt *s)
{
    if (s->state == SVC_BACKOFF || (s->state == SVC_STOPPING && !s->killed))
        return s->timer;
    if (s->state == SVC_WAITING && s->wait_logged)
        return s->wait_deadline;
    return UINT64_MAX;
}

static void shut_down(struct svc_effect *fx, int exit_code)
{
    fx->shutdown = 1;
    fx->exit_code = exit_code;
}

static void became_ready(struct svc_rt *s, const struct svc_args *a)
{
    s->state = SVC_READY;
    log_msg(LOG_INFO, s->cfg->name, "ready");
    if (!s->cfg->traefik.rule)
        return;
    if (traefik_register(s->cfg, a->hostname) < 0)
        log_msg(LOG_ERROR, s->cfg->name, "cannot write Traefik fragment in %s: %s",
                s->cfg->traefik.dir, strerror(errno));
    else
        s->registered = 1;
}

static void unregister(struct svc_rt *s, const struct svc_args *a)
{
    if (!s->registered)
        return;
    if (traefik_unregister(s->cfg, a->hostname) < 0)
        log_msg(LOG_WARN, s->cfg->name, "cannot remove Traefik fragment: %s", strerror(errno));
    s->registered = 0;
}

static void start(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    int tty = s->cfg->is_main && !s->cfg->prefix_output ? a->tty_fd : -1;
    pid_t pid = spawn_service(s->cfg, tty, &fx->out_fd, &fx->err_fd);
    if (pid < 0) {
        log_msg(LOG_ERROR, s->cfg->name, "unable to fork: %s", strerror(errno));
        shut_down(fx, EXIT_SYSTEM);
        return;
    }
    fx->started = 1;
    s->pid = pid;
    s->started_at = a->now;
    s->killed = 0;
    log_msg(LOG_INFO, s->cfg->name, "started %s (pid %d)", s->cfg->argv[0], (int)pid);
    if (s->cfg->ready || s->cfg->is_task)
        s->state = SVC_STARTING; /* ready when its probe passes; a task, when it exits 0 */
    else
        became_ready(s, a);
}

/* [WAITING][BLOCKED]: say once what it waits for; give up at the timeout. */
static void wait_more(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    double limit = s->cfg->wait_timeout_ms / 1000.0;
    if (!s->wait_logged) {
        s->wait_logged = 1;
        s->wait_deadline = a->now + s->cfg->wait_timeout_ms;
        log_msg(LOG_INFO, s->cfg->name, "waiting for %s (up to %.1fs)", a->missing, limit);
    } else if (a->now >= s->wait_deadline) {
        log_msg(LOG_ERROR, s->cfg->name, "gave up after %.1fs waiting for %s", limit, a->missing);
        shut_down(fx, EXIT_DEPENDENCY);
    }
}

/* [WAITING][START] */
static void first_start(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    if (s->wait_logged)
        log_msg(LOG_INFO, s->cfg->name, "dependencies ready");
    start(s, a, fx);
}

/* [STARTING][PASSED] */
static void ready(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    (void)fx;
    if (!s->cfg->is_task)
        became_ready(s, a);
}

/* [BACKOFF][TICK] */
static void restart_when_due(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    if (a->now >= s->timer)
        start(s, a, fx);
}

/* [STARTING|READY][STOP] */
static void send_stop(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    (void)fx;
    int sig = s->forward_trigger && a->trigger_signal ? a->trigger_signal : s->cfg->stop_signal;
    unregister(s, a);
    log_msg(LOG_INFO, s->cfg->name, "stopping with %s (up to %.1fs)", signal_name(sig),
            s->cfg->stop_timeout_ms / 1000.0);
    if (kill(-s->pid, sig) < 0)
        kill(s->pid, sig);
    s->state = SVC_STOPPING;
    s->timer = a->now + s->cfg->stop_timeout_ms;
}

/* [STOPPING][TICK] */
static void kill_when_due(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    (void)fx;
    if (s->killed || a->now < s->timer)
        return;
    log_msg(LOG_WARN, s->cfg->name, "did not stop within %.1fs; sending SIGKILL",
            s->cfg->stop_timeout_ms / 1000.0);
    kill(-s->pid, SIGKILL);
    kill(s->pid, SIGKILL);
    s->killed = 1;
}

/* [WAITING|BACKOFF][ABANDON] */
static void abandon(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    (void)a;
    (void)fx;
    s->state = SVC_EXITED;
}

static void restart_or_give_up(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    const struct service *c = s->cfg;
    int status = a->status;
    s->fast_failures = backoff_next_failures(s->fast_failures, a->now - s->started_at, c->stable_ms);
    if (c->max_fast_failures && s->fast_failures >= c->max_fast_failures) {
        log_msg(LOG_ERROR, c->name, "exited with status %d, %u times in a row within %.1fs "
                "of starting; giving up", status, s->fast_failures, c->stable_ms / 1000.0);
        s->state = SVC_EXITED;
        shut_down(fx, status ? status : 1);
        return;
    }
    unsigned delay = backoff_delay_ms(c->backoff_ms, c->backoff_max_ms,
                                      s->fast_failures ? s->fast_failures - 1 : 0);
    log_msg(LOG_WARN, c->name, "exited with status %d; restarting in %.1fs", status, delay / 1000.0);
    s->state = SVC_BACKOFF;
    s->timer = a->now + delay;
    s->restarts++;
}

static void task_exited(struct svc_rt *s, int status, struct svc_effect *fx)
{
    s->state = SVC_EXITED;
    if (status == 0) {
        log_msg(LOG_INFO, s->cfg->name, "task done");
        return;
    }
    log_msg(LOG_ERROR, s->cfg->name, "task failed with status %d; start-up aborted", status);
    shut_down(fx, status);
}

/* [STARTING|READY|STOPPING][EXITED] */
static void exited(struct svc_rt *s, const struct svc_args *a, struct svc_effect *fx)
{
    const struct service *c = s->cfg;
    int status = a->status;
    s->pid = 0;
    s->last_status = status;
    s->has_status = 1;
    unregister(s, a);
    if (a->shutting_down) {
        s->state = SVC_EXITED;
        log_msg(LOG_INFO, c->name, "stopped (status %d)", status);
    } else if (c->is_task) {
        task_exited(s, status, fx);
    } else if (c->restart == RESTART_ALWAYS || (c->restart == RESTART_ON_FAILURE && status != 0)) {
        restart_or_give_up(s, a, fx);
    } else {
        s->state = SVC_EXITED;
        log_msg(status ? LOG_WARN : LOG_INFO, c->name, "exited with status %d", status);
        if (c->is_main)
            shut_down(fx, status);
    }
}

static action *const table[SVC_STATE_COUNT][SVC_EVENT_COUNT] = {
    [SVC_WAITING] = {[SVC_EV_BLOCKED] = wait_more, [SVC_EV_START] = first_start,
                     [SVC_EV_ABANDON] = abandon},
    [SVC_STARTING] = {[SVC_EV_PASSED] = ready, [SVC_EV_EXITED] = exited, [SVC_EV_STOP] = send_stop},
    [SVC_READY] = {[SVC_EV_EXITED] = exited, [SVC_EV_STOP] = send_stop},
    [SVC_BACKOFF] = {[SVC_EV_TICK] = restart_when_due, [SVC_EV_ABANDON] = abandon},
    [SVC_STOPPING] = {[SVC_EV_EXITED] = exited, [SVC_EV_TICK] = kill_when_due},
    [SVC_EXITED] = {0},
};

struct svc_effect svc_handle(struct svc_rt *s, enum svc_event ev, const struct svc_args *args)
{
    struct svc_effect fx = {.exit_code = -1, .out_fd = -1, .err_fd = -1};
    action *act = table[s->state][ev];
    if (!act)
        return fx;
    enum svc_state before = s->state;
    act(s, args, &fx);
    fx.changed = s->state != before || ev == SVC_EV_EXITED;
    return fx;
}
