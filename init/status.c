/* status.c: publishes cirr-init's state as RUNDIR/status for `cirr-init
 * health` and for people. Written atomically on every change; probe reasons
 * pass through the log redactor, and no value of any variable is written.
 *
 * Format, one record a line, fields separated by single spaces:
 *   cirr-init-status 1
 *   pid PID
 *   phase tasks|services|stopping|orphans|done
 *   service NAME STATE PID RESTARTS LAST_STATUS HEALTH_PROBES|-
 *   task NAME STATE PID - LAST_STATUS -
 *   probe NAME pass|fail|pending REASON... */
#include "supervisor.h"

#include "atomicfile.h"
#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const phase_names[] = {"tasks", "services", "stopping", "orphans", "done"};

static void add_service(struct strbuf *sb, const struct svc_rt *s)
{
    strbuf_addf(sb, "%s %s %s %d ", s->cfg->is_task ? "task" : "service", s->cfg->name,
                svc_state_name(s->state), (int)s->pid);
    if (s->cfg->is_task)
        strbuf_adds(sb, "-");
    else
        strbuf_addf(sb, "%u", s->restarts);
    if (s->has_status)
        strbuf_addf(sb, " %d ", s->last_status);
    else
        strbuf_adds(sb, " - ");
    if (!s->cfg->health || s->cfg->is_task) {
        strbuf_adds(sb, "-\n");
        return;
    }
    for (char **h = s->cfg->health; *h; h++)
        strbuf_addf(sb, "%s%s", h == s->cfg->health ? "" : ",", *h);
    strbuf_adds(sb, "\n");
}

static void add_probe(struct strbuf *sb, const struct probe_rt *p)
{
    const char *result = p->result < 0 ? "pending" : p->result == 0 ? "pass" : "fail";
    char reason[300];
    snprintf(reason, sizeof reason, "%s", p->reason);
    for (char *c = reason; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    log_redact(reason, sizeof reason);
    strbuf_addf(sb, "probe %s %s %s\n", p->cfg->name, result, reason);
}

void status_publish(struct supervisor *sup)
{
    if (!sup->rundir)
        return;
    struct strbuf sb = {0};
    strbuf_addf(&sb, "cirr-init-status 1\npid %d\nphase %s\n", (int)getpid(), phase_names[sup->phase]);
    for (unsigned i = 0; i < sup->nsvc; i++)
        add_service(&sb, &sup->svc[i]);
    for (unsigned i = 0; i < sup->nprobes; i++)
        add_probe(&sb, &sup->probes[i]);
    char path[4096];
    snprintf(path, sizeof path, "%s/status", sup->rundir);
    if (atomicfile_replace(path, sb.data, sb.len, 0644) < 0) {
        log_msg(LOG_WARN, NULL, "cannot write %s: %s; `cirr-init health` will fail", path,
                strerror(errno));
        sup->rundir = NULL; /* say it once */
    }
    strbuf_free(&sb);
    sup->status_dirty = 0;
}

void status_remove(struct supervisor *sup)
{
    if (!sup->rundir)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/status", sup->rundir);
    unlink(path);
}
