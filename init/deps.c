/* deps.c: what waits for what (see deps.h). */
#include "deps.h"

#include "list.h"

#include <stdio.h>
#include <string.h>

static const struct svc_rt *svc_find(const struct svc_list *all, const char *name)
{
    for (unsigned i = 0; i < all->n; i++)
        if (strcmp(all->items[i].cfg->name, name) == 0)
            return &all->items[i];
    return NULL;
}

static void append(char *buf, size_t cap, size_t *n, const char *kind, const char *name)
{
    *n += (size_t)snprintf(buf + *n, *n < cap ? cap - *n : 0, "%s%s %s", *n ? ", " : "", kind, name);
}

void deps_missing(const struct svc_list *all, const struct probe_set *probes,
                  const struct svc_rt *s, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (char **w = s->cfg->wait; w && *w; w++)
        if (probe_set_find(probes, *w)->result != 0)
            append(buf, cap, &n, "probe", *w);
    for (char **a = s->cfg->after; a && *a; a++)
        if (svc_find(all, *a)->state != SVC_READY)
            append(buf, cap, &n, "service", *a);
}

int deps_has_live_dependents(const struct svc_list *all, const struct svc_rt *s)
{
    for (unsigned i = 0; i < all->n; i++) {
        const struct svc_rt *t = &all->items[i];
        if (t != s && t->pid && list_contains(t->cfg->after, s->cfg->name))
            return 1;
    }
    return 0;
}

/* The task or services that may start now are the ones whose waits count. */
static int may_start(const struct svc_list *all, const struct svc_rt *s, int in_tasks)
{
    if (!in_tasks)
        return !s->cfg->is_task;
    if (!s->cfg->is_task)
        return 0;
    for (const struct svc_rt *t = all->items; t < s; t++)
        if (t->cfg->is_task && t->state != SVC_EXITED)
            return 0;
    return 1;
}

int deps_probe_needed(const struct svc_list *all, const struct probe_rt *p, int in_tasks)
{
    const char *name = p->cfg->name;
    for (unsigned i = 0; i < all->n; i++) {
        const struct svc_rt *s = &all->items[i];
        if (s->state == SVC_WAITING && p->result != 0 && may_start(all, s, in_tasks) &&
            list_contains(s->cfg->wait, name))
            return 1;
        if (s->state == SVC_STARTING && s->cfg->ready && strcmp(s->cfg->ready, name) == 0)
            return 1;
        if (s->state == SVC_READY && list_contains(s->cfg->health, name))
            return 1;
    }
    return 0;
}
