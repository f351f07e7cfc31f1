/* config.c: lookups, checks and ordering over a parsed configuration. */
#include "config.h"

#include "list.h"
#include "log.h"
#include "servicefile.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stddef.h>
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

/* The malloc'd fields of each struct, for config_free: texts (char *) and
 * lists (NULL-terminated char **). */
#define SVC(field) offsetof(struct service, field)
#define PRB(field) offsetof(struct probe, field)
static const size_t service_texts[] = {
    SVC(name), SVC(ready), SVC(workdir), SVC(traefik.rule), SVC(traefik.dir),
    SVC(traefik.entrypoints), SVC(traefik.strip_prefix), SVC(traefik.host), SVC(traefik.scheme),
};
static const size_t service_lists[] = {SVC(argv), SVC(wait), SVC(after), SVC(health), SVC(env_allow)};
static const size_t probe_texts[] = {
    PRB(name), PRB(target), PRB(user), PRB(user_env), PRB(password_env), PRB(ca_file),
    PRB(cert_file), PRB(key_file),
};
static const size_t probe_lists[] = {PRB(argv), PRB(env_allow)};
#define COUNT(a) (sizeof a / sizeof *a)

static void free_fields(void *obj, const size_t *texts, size_t ntexts, const size_t *lists,
                        size_t nlists)
{
    for (size_t i = 0; i < ntexts; i++)
        free(*(char **)((char *)obj + texts[i]));
    for (size_t i = 0; i < nlists; i++)
        list_free(*(char ***)((char *)obj + lists[i]));
}

void config_free(struct config *cfg)
{
    for (unsigned i = 0; i < cfg->service_count; i++) {
        struct service *s = &cfg->services[i];
        free_fields(s, service_texts, COUNT(service_texts), service_lists, COUNT(service_lists));
        identity_free(&s->id);
        for (unsigned j = 0; j < s->template_count; j++) {
            free(s->templates[j].src);
            free(s->templates[j].dst);
        }
        free(s->templates);
    }
    free(cfg->services);
    for (unsigned i = 0; i < cfg->probe_count; i++) {
        free_fields(&cfg->probes[i], probe_texts, COUNT(probe_texts), probe_lists, COUNT(probe_lists));
        identity_free(&cfg->probes[i].id);
    }
    free(cfg->probes);
    memset(cfg, 0, sizeof *cfg);
}

#define ERR(...) (snprintf(err, cap, __VA_ARGS__), -1)

/* One line "PATH:LINE: message" into err; returns -1. */
static int fail_at(const struct config *cfg, int line, char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_at(const struct config *cfg, int line, char *err, size_t cap, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    log_vformat(msg, sizeof msg, fmt, ap); /* redacted whole, then cut */
    va_end(ap);
    snprintf(err, cap, "%s:%d: %s", cfg->path ? cfg->path : "-", line, msg);
    return -1;
}

static int check_probe(const struct config *cfg, const struct probe *p, char *err, size_t cap)
{
    static const char *const needs[] = {
        [PROBE_HTTP] = "'url'", [PROBE_HTTPS] = "'url'", [PROBE_POSTGRES] = "'conninfo'",
        [PROBE_TCP] = "'address = HOST:PORT'", [PROBE_EXEC] = NULL,
    };
    const char *scheme = p->kind == PROBE_HTTP ? "http://" : "https://";
    int http = p->kind == PROBE_HTTP || p->kind == PROBE_HTTPS;
    if (p->kind == PROBE_EXEC && (!p->argv || !p->argv[0]))
        return fail_at(cfg, p->line, err, cap, "probe %s: kind exec needs 'command'", p->name);
    if (http && p->target && strncmp(p->target, scheme, strlen(scheme)) != 0)
        return fail_at(cfg, p->line, err, cap, "probe %s: url must start with %s", p->name, scheme);
    int bad_address = p->kind == PROBE_TCP && p->target && !strrchr(p->target, ':');
    if (needs[p->kind] && (!p->target || bad_address))
        return fail_at(cfg, p->line, err, cap, "probe %s: needs %s", p->name, needs[p->kind]);
    return 0;
}

/* Every name in names (the value of key) must be a declared probe, or a
 * declared service other than s itself. */
static int check_names(const struct config *cfg, const struct service *s, char **names,
                       int want_probe, const char *key, char *err, size_t cap)
{
    for (char **n = names; n && *n; n++) {
        const struct service *d = want_probe ? NULL : config_service(cfg, *n);
        if (want_probe && !config_probe(cfg, *n))
            return fail_at(cfg, s->line, err, cap, "%s: %s names unknown probe '%s'", s->name, key, *n);
        if (!want_probe && (!d || d->is_task))
            return fail_at(cfg, s->line, err, cap, "%s: %s names unknown service '%s'", s->name, key, *n);
        if (d == s)
            return fail_at(cfg, s->line, err, cap, "%s: a service cannot start after itself", s->name);
    }
    return 0;
}

static int check_service(const struct config *cfg, const struct service *s, char *err, size_t cap)
{
    if (!s->argv || !s->argv[0])
        return fail_at(cfg, s->line, err, cap, "%s %s has no 'command'",
                       s->is_task ? "task" : "service", s->name);
    if (check_names(cfg, s, s->wait, 1, "wait", err, cap) < 0 ||
        check_names(cfg, s, s->health, 1, "health", err, cap) < 0 ||
        check_names(cfg, s, s->after, 0, "after", err, cap) < 0)
        return -1;
    if (s->ready && !config_probe(cfg, s->ready))
        return fail_at(cfg, s->line, err, cap, "%s: ready names unknown probe '%s'", s->name, s->ready);
    if (s->traefik.rule && (!s->traefik.port || !s->traefik.dir))
        return fail_at(cfg, s->line, err, cap, "%s: traefik-rule needs traefik-port and traefik-dir "
                       "(or CIRR_TRAEFIK_DIR)", s->name);
    return 0;
}

/* Nonzero when s names probe p in wait, ready or health. */
static int serves(const struct service *s, const struct probe *p)
{
    return list_contains(s->wait, p->name) || list_contains(s->health, p->name) ||
           (s->ready && strcmp(s->ready, p->name) == 0);
}

/* An exec probe runs as the services and tasks it serves do (they must
 * agree), unless its probe-user says otherwise. The other kinds run only
 * cirr-init's own code: as cirr-init, unless probe-user says otherwise. */
static int probe_identity(const struct config *cfg, struct probe *p, char *err, size_t cap)
{
    if (p->id.has_user || p->kind != PROBE_EXEC)
        return 0;
    const struct service *first = NULL;
    for (unsigned i = 0; i < cfg->service_count; i++) {
        const struct service *s = &cfg->services[i];
        if (!serves(s, p))
            continue;
        if (first && !identity_same(&first->id, &s->id))
            return fail_at(cfg, p->line, err, cap, "probe %s serves services that run as different "
                           "users (%s, %s): say whose it is with 'probe-user'", p->name,
                           first->name, s->name);
        first = first ? first : s;
    }
    if (first)
        identity_copy(&p->id, &first->id);
    return 0;
}

/* Keep in *have (NULL: everything) only the names also in allow. */
static void narrow(char ***have, char *const *allow)
{
    if (!*have) {
        *have = xmalloc((list_len(allow) + 1) * sizeof **have);
        size_t n = 0;
        for (char *const *a = allow; *a; a++)
            (*have)[n++] = xstrdup(*a);
        (*have)[n] = NULL;
        return;
    }
    size_t kept = 0;
    for (char **h = *have; *h; h++) {
        if (list_contains(allow, *h))
            (*have)[kept++] = *h;
        else
            free(*h);
    }
    (*have)[kept] = NULL;
}

/* A process's environment can be read by every process of its user: an
 * exec probe that does not run as root sees only what every service and
 * task of its user may see. */
static void probe_env(const struct config *cfg, struct probe *p)
{
    if (p->kind != PROBE_EXEC || !p->id.has_user || p->id.uid == 0)
        return;
    for (unsigned i = 0; i < cfg->service_count; i++) {
        const struct service *s = &cfg->services[i];
        if (s->id.has_user && s->id.uid == p->id.uid && s->env_allow)
            narrow(&p->env_allow, s->env_allow);
    }
}

/* Nonzero while a service that s names in `after` is not placed yet. */
static int waits_for_unplaced(const struct config *cfg, const struct service *s, const char *placed)
{
    for (char **a = s->after; a && *a; a++)
        for (unsigned j = 0; j < cfg->service_count; j++)
            if (!placed[j] && strcmp(cfg->services[j].name, *a) == 0)
                return 1;
    return 0;
}

/* Order services so each follows the ones in its `after` list (stable
 * Kahn's algorithm); tasks keep file order ahead of all services. */
static int order_services(struct config *cfg, char *err, size_t cap)
{
    unsigned n = cfg->service_count, count = 0;
    struct service *sorted = xmalloc(n * sizeof *sorted);
    char *placed = xmalloc(n);
    memset(placed, 0, n);
    for (unsigned i = 0; i < n; i++)
        if (cfg->services[i].is_task) {
            sorted[count++] = cfg->services[i];
            placed[i] = 1;
        }
    for (int progress = 1; count < n && progress;) {
        progress = 0;
        for (unsigned i = 0; i < n; i++)
            if (!placed[i] && !waits_for_unplaced(cfg, &cfg->services[i], placed)) {
                sorted[count++] = cfg->services[i];
                placed[i] = 1;
                progress = 1;
            }
    }
    int rc = 0;
    for (unsigned i = 0; i < n && count < n && rc == 0; i++)
        if (!placed[i])
            rc = fail_at(cfg, cfg->services[i].line, err, cap, "%s: 'after' forms a cycle",
                         cfg->services[i].name);
    if (rc == 0) {
        free(cfg->services);
        cfg->services = sorted;
    } else {
        free(sorted);
    }
    free(placed);
    return rc;
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
    for (unsigned i = 0; i < cfg->probe_count; i++) {
        if (probe_identity(cfg, &cfg->probes[i], err, cap) < 0)
            return -1;
        probe_env(cfg, &cfg->probes[i]);
    }
    return order_services(cfg, err, cap);
}
