/* status.c: publishes RUNDIR/status (see status.h). Written atomically on
 * every change, so `cirr-init health` never reads half a file. */
#include "status.h"

#include "atomicfile.h"
#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Probe reasons quote peers; though redacted, they are nobody else's
 * business: readable by cirr-init's user and group (root in the images,
 * where Docker runs HEALTHCHECK `cirr-init health` as that same user). */
#define STATUS_MODE 0640

void status_open(struct status_file *f, const char *rundir)
{
    f->path[0] = '\0';
    if (!rundir)
        return;
    if (mkdir(rundir, 0755) < 0 && errno != EEXIST) {
        log_msg(LOG_WARN, NULL, "cannot create %s: %s; `cirr-init health` will fail", rundir,
                strerror(errno));
        return;
    }
    snprintf(f->path, sizeof f->path, "%s/status", rundir);
}

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
    /* redacted whole, and only then made one line */
    log_format(reason, sizeof reason, "%s", p->reason);
    for (char *c = reason; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    strbuf_addf(sb, "probe %s %s %s\n", p->cfg->name, result, reason);
}

void status_publish(struct status_file *f, const char *phase, const struct svc_list *services,
                    const struct probe_set *probes)
{
    if (!f->path[0])
        return;
    struct strbuf sb = {0};
    strbuf_addf(&sb, "cirr-init-status 1\npid %d\nphase %s\n", (int)getpid(), phase);
    for (unsigned i = 0; i < services->n; i++)
        add_service(&sb, &services->items[i]);
    for (unsigned i = 0; i < probes->n; i++)
        add_probe(&sb, &probes->items[i]);
    if (atomicfile_replace(f->path, sb.data, sb.len, STATUS_MODE) < 0) {
        log_msg(LOG_WARN, NULL, "cannot write %s: %s; `cirr-init health` will fail", f->path,
                strerror(errno));
        f->path[0] = '\0'; /* say it once */
    }
    strbuf_free(&sb);
}

void status_remove(struct status_file *f)
{
    if (f->path[0])
        unlink(f->path);
}
