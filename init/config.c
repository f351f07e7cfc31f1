/* config.c: lookups, checks and ordering over a parsed configuration. */
#include "config.h"

#include "servicefile.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe *config_probe(const struct config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->probe_count; i++)
        if (strcmp(cfg->probes[i].name, name) == 0)
            return &cfg->probes[i];
    return NULL;
}

struct service *config_service(const struct config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->service_count; i++)
        if (strcmp(cfg->services[i].name, name) == 0)
            return &cfg->services[i];
    return NULL;
}

void strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static void service_free(struct service *s)
{
    free(s->name);
    strv_free(s->argv);
    strv_free(s->wait);
    strv_free(s->after);
    free(s->ready);
    strv_free(s->health);
    free(s->workdir);
    strv_free(s->env_allow);
    for (unsigned i = 0; i < s->template_count; i++) {
        free(s->templates[i].src);
        free(s->templates[i].dst);
    }
    free(s->templates);
    free(s->traefik.rule);
    free(s->traefik.dir);
    free(s->traefik.entrypoints);
    free(s->traefik.strip_prefix);
    free(s->traefik.host);
    free(s->traefik.scheme);
}

void config_free(struct config *cfg)
{
    for (unsigned i = 0; i < cfg->service_count; i++)
        service_free(&cfg->services[i]);
    free(cfg->services);
    for (unsigned i = 0; i < cfg->probe_count; i++) {
        struct probe *p = &cfg->probes[i];
        free(p->name);
        free(p->target);
        strv_free(p->argv);
        free(p->user);
        free(p->user_env);
        free(p->password_env);
        free(p->ca_file);
        free(p->cert_file);
        free(p->key_file);
    }
    free(cfg->probes);
    memset(cfg, 0, sizeof *cfg);
}

#define ERR(...) (snprintf(err, cap, __VA_ARGS__), -1)

static int check_probe(const struct config *cfg, const struct probe *p, char *err, size_t cap)
{
    const char *path = cfg->path ? cfg->path : "-";
    switch (p->kind) {
    case PROBE_EXEC:
        if (!p->argv || !p->argv[0])
            return ERR("%s:%d: probe %s: kind exec needs 'command'", path, p->line, p->name);
        break;
    case PROBE_HTTP:
    case PROBE_HTTPS:
        if (!p->target)
            return ERR("%s:%d: probe %s: needs 'url'", path, p->line, p->name);
        if (strncmp(p->target, p->kind == PROBE_HTTP ? "http://" : "https://",
                    p->kind == PROBE_HTTP ? 7 : 8) != 0)
            return ERR("%s:%d: probe %s: url must start with %s", path, p->line, p->name,
                       p->kind == PROBE_HTTP ? "http://" : "https://");
        break;
    case PROBE_TCP:
        if (!p->target || !strrchr(p->target, ':'))
            return ERR("%s:%d: probe %s: needs 'address = HOST:PORT'", path, p->line, p->name);
        break;
    case PROBE_POSTGRES:
        if (!p->target)
            return ERR("%s:%d: probe %s: needs 'conninfo'", path, p->line, p->name);
        break;
    }
    return 0;
}

static int check_names(const struct config *cfg, const struct service *s, char **names,
                       int want_probe, const char *key, char *err, size_t cap)
{
    const char *path = cfg->path ? cfg->path : "-";
    for (char **n = names; n && *n; n++) {
        if (want_probe && !config_probe(cfg, *n))
            return ERR("%s:%d: %s: %s names unknown probe '%s'", path, s->line, s->name, key, *n);
        if (!want_probe) {
            const struct service *d = config_service(cfg, *n);
            if (!d || d->is_task)
                return ERR("%s:%d: %s: %s names unknown service '%s'", path, s->line, s->name,
                           key, *n);
            if (d == s)
                return ERR("%s:%d: %s: a service cannot start after itself", path, s->line,
                           s->name);
        }
    }
    return 0;
}

static int check_service(const struct config *cfg, const struct service *s, char *err, size_t cap)
{
    const char *path = cfg->path ? cfg->path : "-";
    if (!s->argv || !s->argv[0])
        return ERR("%s:%d: %s %s has no 'command'", path, s->line,
                   s->is_task ? "task" : "service", s->name);
    if (check_names(cfg, s, s->wait, 1, "wait", err, cap) < 0 ||
        check_names(cfg, s, s->health, 1, "health", err, cap) < 0 ||
        check_names(cfg, s, s->after, 0, "after", err, cap) < 0)
        return -1;
    if (s->ready && !config_probe(cfg, s->ready))
        return ERR("%s:%d: %s: ready names unknown probe '%s'", path, s->line, s->name, s->ready);
    if (s->traefik.rule && (!s->traefik.port || !s->traefik.dir))
        return ERR("%s:%d: %s: traefik-rule needs traefik-port and traefik-dir "
                   "(or CIRR_TRAEFIK_DIR)", path, s->line, s->name);
    return 0;
}

/* Order services so each follows the ones in its `after` list (stable
 * Kahn's algorithm); tasks keep file order ahead of all services. */
static int order_services(struct config *cfg, char *err, size_t cap)
{
    unsigned n = cfg->service_count, placed = 0;
    struct service *sorted = xmalloc(n * sizeof *sorted);
    char *done = calloc(n, 1);
    if (!done)
        return ERR("out of memory");
    for (unsigned i = 0; i < n; i++)
        if (cfg->services[i].is_task) {
            sorted[placed++] = cfg->services[i];
            done[i] = 1;
        }
    while (placed < n) {
        int progress = 0;
        for (unsigned i = 0; i < n; i++) {
            if (done[i])
                continue;
            int ready = 1;
            for (char **a = cfg->services[i].after; a && *a && ready; a++)
                for (unsigned j = 0; j < n; j++)
                    if (!done[j] && strcmp(cfg->services[j].name, *a) == 0)
                        ready = 0;
            if (ready) {
                sorted[placed++] = cfg->services[i];
                done[i] = 1;
                progress = 1;
            }
        }
        if (!progress) {
            for (unsigned i = 0; i < n; i++)
                if (!done[i]) {
                    snprintf(err, cap, "%s:%d: %s: 'after' forms a cycle",
                             cfg->path ? cfg->path : "-", cfg->services[i].line,
                             cfg->services[i].name);
                    break;
                }
            free(sorted);
            free(done);
            return -1;
        }
    }
    free(cfg->services);
    free(done);
    cfg->services = sorted;
    return 0;
}

int config_finish(struct config *cfg, char *err, size_t cap)
{
    unsigned mains = 0, long_running = 0;
    for (unsigned i = 0; i < cfg->probe_count; i++)
        if (check_probe(cfg, &cfg->probes[i], err, cap) < 0)
            return -1;
    for (unsigned i = 0; i < cfg->service_count; i++) {
        struct service *s = &cfg->services[i];
        if (check_service(cfg, s, err, cap) < 0)
            return -1;
        mains += s->is_main;
        long_running += !s->is_task;
        if (!s->health && s->ready) {
            s->health = xmalloc(2 * sizeof *s->health);
            s->health[0] = xstrdup(s->ready);
            s->health[1] = NULL;
        }
    }
    if (mains > 1)
        return ERR("%s: more than one service has 'main = yes'", cfg->path ? cfg->path : "-");
    if (long_running == 0)
        return ERR("%s: no service to run (declare a [service] or give a command after --)",
                   cfg->path ? cfg->path : "-");
    if (mains == 0)
        for (unsigned i = 0; i < cfg->service_count; i++)
            if (!cfg->services[i].is_task) {
                cfg->services[i].is_main = 1;
                break;
            }
    return order_services(cfg, err, cap);
}
