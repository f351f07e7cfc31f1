/* probe_sched.c: decides when each probe runs and records its results (see
 * probe_sched.h). A probe runs only while something needs it, so with no
 * probes configured cirr-init has no timers and never wakes up on its own. */
#include "probe_sched.h"

#include "array.h"
#include "log.h"
#include "probe.h"
#include "spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Until a probe first passes it is retried quickly, then less often:
 * 100 ms, 200 ms, ... up to 1 s (or its interval, if shorter), so that a
 * service that starts in 300 ms is ready in about 300 ms, not 1 s. */
#define FIRST_RETRY_MS 100u
#define MAX_RETRY_MS 1000u

int probe_set_init(struct probe_set *set, const struct config *cfg)
{
    memset(set, 0, sizeof *set);
    set->items = calloc(cfg->probe_count ? cfg->probe_count : 1, sizeof *set->items);
    if (!set->items)
        return -1;
    set->n = cfg->probe_count;
    for (unsigned i = 0; i < set->n; i++) {
        set->items[i].cfg = &cfg->probes[i];
        set->items[i].fd = -1;
        set->items[i].result = -1;
    }
    return 0;
}

void probe_set_free(struct probe_set *set)
{
    for (unsigned i = 0; i < set->n; i++) {
        if (set->items[i].fd >= 0)
            close(set->items[i].fd);
        free(set->items[i].pending);
    }
    free(set->items);
    set->items = NULL;
    set->n = 0;
}

struct probe_rt *probe_set_find(const struct probe_set *set, const char *name)
{
    if (!name)
        return NULL;
    for (unsigned i = 0; i < set->n; i++)
        if (strcmp(set->items[i].cfg->name, name) == 0)
            return &set->items[i];
    return NULL;
}

void probe_rearm(struct probe_rt *p, uint64_t now)
{
    p->result = -1;
    p->ever_passed = 0;
    p->retry_ms = 0;
    p->next_run = now;
}

static void kill_probe(struct probe_rt *p)
{
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
}

static void run(struct probe_rt *p, uint64_t now)
{
    if (probe_spawn(p->cfg, &p->pid, &p->fd) < 0) {
        log_msg(LOG_ERROR, NULL, "probe %s: unable to fork: %s", p->cfg->name, strerror(errno));
        p->next_run = now + p->cfg->interval_ms;
        return;
    }
    p->deadline = now + p->cfg->timeout_ms;
    p->timed_out = 0;
    p->pending_len = 0;
    p->pending_cut = 0;
    log_msg(LOG_DEBUG, NULL, "probe %s: running (pid %d)", p->cfg->name, (int)p->pid);
}

void probe_set_step(struct probe_set *set, const unsigned char *needed, uint64_t now)
{
    for (unsigned i = 0; i < set->n; i++) {
        struct probe_rt *p = &set->items[i];
        if (p->pid && !p->timed_out && now >= p->deadline) {
            kill_probe(p);
            p->timed_out = 1;
        } else if (!p->pid && !set->stopped && now >= p->next_run && needed[i]) {
            run(p, now);
        }
    }
}

unsigned probe_set_pollfds(const struct probe_set *set, struct pollfd *fds)
{
    for (unsigned i = 0; i < set->n; i++)
        fds[i] = (struct pollfd){.fd = set->items[i].fd, .events = POLLIN};
    return set->n;
}

/* Keep what the probe wrote: up to PROBE_OUTPUT_MAX, the rest is read and
 * dropped (so that the probe never blocks on a full pipe) and noted. */
static void keep_output(struct probe_rt *p, const char *buf, size_t n)
{
    size_t room = PROBE_OUTPUT_MAX - p->pending_len;
    size_t k = n < room ? n : room;
    void *grown = array_grow(p->pending, &p->pending_cap, p->pending_len + k + 1, 1, 512);
    if (!grown) {
        p->pending_cut = 1; /* out of memory: keep what fits, as if cut */
        return;
    }
    p->pending = grown;
    memcpy(p->pending + p->pending_len, buf, k);
    p->pending_len += k;
    p->pending[p->pending_len] = '\0';
    p->pending_cut |= k < n;
}

/* Read what the probe writes (its reason) until it exits. */
static void read_pending(struct probe_rt *p)
{
    while (p->fd >= 0) {
        char buf[4096];
        ssize_t n = read(p->fd, buf, sizeof buf);
        if (n > 0) {
            keep_output(p, buf, (size_t)n);
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

void probe_set_read(struct probe_set *set, const struct pollfd *fds)
{
    for (unsigned i = 0; i < set->n; i++)
        if (fds[i].revents)
            read_pending(&set->items[i]);
}

/* Returns whether the result or its reason changed. */
static int set_result(struct probe_rt *p, int result, const char *reason)
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
    return changed;
}

/* The first line of what the probe wrote, redacted as a whole first: a
 * secret that spans lines, or a cut, leaves no part of itself behind. */
static void output_reason(struct probe_rt *p, char *reason, size_t cap)
{
    char *text = log_redact_text(p->pending ? p->pending : "", p->pending_cut);
    const char *t = text ? text : "(output lost: out of memory)";
    snprintf(reason, cap, "%.*s", (int)strcspn(t, "\r\n"), t);
    free(text);
    free(p->pending);
    p->pending = NULL;
    p->pending_len = p->pending_cap = 0;
}

/* The reason for a run's result: empty when it passed. */
static void run_reason(struct probe_rt *p, int status, char *reason, size_t cap)
{
    char said[256];
    output_reason(p, said, sizeof said);
    if (p->timed_out)
        snprintf(reason, cap, "timed out after %.1fs", p->cfg->timeout_ms / 1000.0);
    else if (status != 0 && said[0])
        snprintf(reason, cap, "%s", said);
    else if (status != 0)
        snprintf(reason, cap, "exited with status %d", status);
    else
        reason[0] = '\0';
}

/* Until the first pass, retry sooner than the interval (see FIRST_RETRY_MS). */
static unsigned next_wait(struct probe_rt *p)
{
    unsigned wait = p->cfg->interval_ms;
    if (!p->ever_passed) {
        p->retry_ms = p->retry_ms ? p->retry_ms * 2 : FIRST_RETRY_MS;
        if (p->retry_ms > MAX_RETRY_MS)
            p->retry_ms = MAX_RETRY_MS;
        if (wait > p->retry_ms)
            wait = p->retry_ms;
    }
    return wait;
}

enum probe_reap probe_set_reaped(struct probe_set *set, pid_t pid, int wait_status, uint64_t now)
{
    struct probe_rt *p = NULL;
    for (unsigned i = 0; i < set->n && !p; i++)
        if (set->items[i].pid == pid)
            p = &set->items[i];
    if (!p)
        return PROBE_NOT_MINE;
    read_pending(p);
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    p->pid = 0;
    char reason[256];
    int status = spawn_exit_status(wait_status);
    run_reason(p, status, reason, sizeof reason);
    int changed = 0;
    if (!set->stopped)
        changed = set_result(p, status == 0 && !p->timed_out ? 0 : 1, reason);
    p->next_run = now + next_wait(p);
    return changed ? PROBE_CHANGED : PROBE_SAME;
}

void probe_set_stop(struct probe_set *set)
{
    set->stopped = 1;
    for (unsigned i = 0; i < set->n; i++)
        if (set->items[i].pid)
            kill_probe(&set->items[i]);
}

uint64_t probe_set_deadline(const struct probe_set *set, uint64_t now)
{
    uint64_t t = UINT64_MAX;
    for (unsigned i = 0; i < set->n; i++) {
        const struct probe_rt *p = &set->items[i];
        if (p->pid && !p->timed_out && p->deadline < t)
            t = p->deadline;
        if (!p->pid && !set->stopped && p->next_run > now && p->next_run < t)
            t = p->next_run;
    }
    return t;
}
