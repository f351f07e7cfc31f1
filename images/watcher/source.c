/* source.c: see source.h. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>

struct running {
    struct source *s;
    struct source_loop loop;
};

void source_init(struct source *s, struct watcher *w, unsigned r)
{
    s->w = w;
    s->route = &w->conf.routes[r];
    s->slot = r;
    snprintf(s->cursor_path, sizeof s->cursor_path, "%s/cursor/%s", w->conf.state, s->route->name);
}

static void *run(void *arg)
{
    struct running *run = arg;
    struct watcher *w = run->s->w;
    struct route_stats *stats = &w->routes[run->s->slot];
    unsigned failures = 0;
    while (!atomic_load(&w->stopping)) {
        if (run->loop.uses_outbox && outbox_full(&w->outbox)) { /* a sink is behind: wait, do not fill the disk */
            watcher_sleep(w, 200);
            continue;
        }
        int rc = run->loop.round(run->loop.ctx);
        if (rc < 0) {
            atomic_fetch_add(&stats->errors, 1);
            watcher_backoff(w, ++failures);
            continue;
        }
        failures = 0;
        if (rc == 2)
            continue;
        atomic_fetch_add(&stats->rounds, 1);
        if (rc == 1)
            watcher_sleep(w, run->loop.idle_ms);
    }
    run->loop.done(run->loop.ctx);
    free(run);
    return NULL;
}

int source_start(struct source *s, const struct source_loop *loop)
{
    struct running *r = malloc(sizeof *r);
    if (!r)
        return -1;
    r->s = s;
    r->loop = *loop;
    if (pthread_create(&s->w->route_threads[s->slot], NULL, run, r) != 0) {
        free(r);
        return -1;
    }
    return 0;
}
