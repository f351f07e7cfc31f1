/* probe_sched.c: decides when each probe runs and records its results.
 * A probe runs only while something needs it, so with no probes configured
 * cirr-init has no timers and never wakes up on its own. */
#include "supervisor.h"

#include "log.h"
#include "probe.h"
#include "spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Until a probe first passes it is retried quickly, then less often:
 * 100 ms, 200 ms, ... up to 1 s (or its interval, if shorter), so that a
 * service that starts in 300 ms is ready in about 300 ms, not 1 s. */
#define FIRST_RETRY_MS 100u
#define MAX_RETRY_MS 1000u

struct probe_rt *probe_rt_find(struct supervisor *sup, const char *name)
{
    if (!name)
        return NULL;
    for (unsigned i = 0; i < sup->nprobes; i++)
        if (strcmp(sup->probes[i].cfg->name, name) == 0)
            return &sup->probes[i];
    return NULL;
}

static int in_list(char **list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* The task or services that may start now are the ones whose waits count. */
static int may_start(const struct supervisor *sup, const struct svc_rt *s)
{
    if (sup->phase == PHASE_SERVICES)
        return !s->cfg->is_task;
    if (sup->phase != PHASE_TASKS || !s->cfg->is_task)
        return 0;
    for (const struct svc_rt *t = sup->svc; t < s; t++)
        if (t->cfg->is_task && t->state != SVC_EXITED)
            return 0;
    return 1;
}

static int needed(const struct supervisor *sup, const struct probe_rt *p)
{
    if (sup->phase >= PHASE_STOPPING)
        return 0;
    const char *name = p->cfg->name;
    for (unsigned i = 0; i < sup->nsvc; i++) {
        const struct svc_rt *s = &sup->svc[i];
        if (s->state == SVC_WAITING && p->result != 0 && may_start(sup, s) &&
            in_list(s->cfg->wait, name))
            return 1;
        if (s->state == SVC_STARTING && s->cfg->ready && strcmp(s->cfg->ready, name) == 0)
            return 1;
        if (s->state == SVC_READY && in_list(s->cfg->health, name))
            return 1;
    }
    return 0;
}

void probes_step(struct supervisor *sup, uint64_t now)
{
    for (unsigned i = 0; i < sup->nprobes; i++) {
        struct probe_rt *p = &sup->probes[i];
        if (p->pid) {
            if (!p->timed_out && now >= p->deadline) {
                kill(-p->pid, SIGKILL);
                kill(p->pid, SIGKILL);
                p->timed_out = 1;
            }
            continue;
        }
        if (now < p->next_run || !needed(sup, p))
            continue;
        if (probe_spawn(p->cfg, &p->pid, &p->fd) < 0) {
            log_msg(LOG_ERROR, NULL, "probe %s: unable to fork: %s", p->cfg->name, strerror(errno));
            p->next_run = now + p->cfg->interval_ms;
            continue;
        }
        p->deadline = now + p->cfg->timeout_ms;
        p->timed_out = 0;
        p->pending_len = 0;
        log_msg(LOG_DEBUG, NULL, "probe %s: running (pid %d)", p->cfg->name, (int)p->pid);
    }
}

void probes_read(struct supervisor *sup, struct probe_rt *p)
{
    (void)sup;
    while (p->fd >= 0) {
        char buf[256];
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n > 0) {
            size_t room = sizeof p->pending - 1 - p->pending_len;
            size_t k = (size_t)n < room ? (size_t)n : room;
            memcpy(p->pending + p->pending_len, buf, k);
            p->pending_len += k;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close(p->fd); /* EOF or error */
        p->fd = -1;
    }
}

static void set_result(struct supervisor *sup, struct probe_rt *p, int result, const char *reason)
{
    int changed = p->result != result || strcmp(p->reason, reason) != 0;
    if (changed && result == 0)
        log_msg(LOG_INFO, NULL, "probe %s: passing", p->cfg->name);
    else if (changed)
        log_msg(p->ever_passed || p->result == 1 ? LOG_WARN : LOG_INFO, NULL,
                "probe %s: failing: %s", p->cfg->name, reason);
    snprintf(p->reason, sizeof p->reason, "%s", reason);
    p->result = result;
    p->ever_passed |= result == 0;
    if (changed)
        sup->status_dirty = 1;
}

int probes_reaped(struct supervisor *sup, pid_t pid, int wait_status, uint64_t now)
{
    for (unsigned i = 0; i < sup->nprobes; i++) {
        struct probe_rt *p = &sup->probes[i];
        if (p->pid != pid)
            continue;
        probes_read(sup, p);
        if (p->fd >= 0) {
            close(p->fd);
            p->fd = -1;
        }
        p->pid = 0;
        p->pending[p->pending_len] = '\0';
        p->pending[strcspn(p->pending, "\r\n")] = '\0';
        char reason[256];
        int status = spawn_exit_status(wait_status);
        if (p->timed_out)
            snprintf(reason, sizeof reason, "timed out after %.1fs", p->cfg->timeout_ms / 1000.0);
        else if (status != 0 && p->pending[0])
            snprintf(reason, sizeof reason, "%s", p->pending);
        else if (status != 0)
            snprintf(reason, sizeof reason, "exited with status %d", status);
        else
            reason[0] = '\0';
        if (sup->phase < PHASE_STOPPING)
            set_result(sup, p, status == 0 && !p->timed_out ? 0 : 1, reason);
        unsigned wait = p->cfg->interval_ms;
        if (!p->ever_passed) {
            p->retry_ms = p->retry_ms ? p->retry_ms * 2 : FIRST_RETRY_MS;
            if (p->retry_ms > MAX_RETRY_MS)
                p->retry_ms = MAX_RETRY_MS;
            if (wait > p->retry_ms)
                wait = p->retry_ms;
        }
        p->next_run = now + wait;
        return 1;
    }
    return 0;
}

void probes_kill_all(struct supervisor *sup)
{
    for (unsigned i = 0; i < sup->nprobes; i++)
        if (sup->probes[i].pid) {
            kill(-sup->probes[i].pid, SIGKILL);
            kill(sup->probes[i].pid, SIGKILL);
        }
}
