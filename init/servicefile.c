/* servicefile.c: parses the service file (see servicefile.h). */
#include "servicefile.h"

#include "signame.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum section { SEC_NONE = 0, SEC_PROBE = 1, SEC_TASK = 2, SEC_SERVICE = 4 };

struct parser {
    const char *path;
    int line;
    enum section section;
    struct config *cfg;
    const struct template_env *env;
    char *err;
    size_t cap;
};

static int perr(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *ps, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->cap, "%s:%d: %s", ps->path, ps->line, msg);
    return -1;
}

int parse_duration_ms(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    double scale = 1000;
    if (strcmp(end, "ms") == 0)
        scale = 1;
    else if (strcmp(end, "s") == 0 || *end == '\0')
        scale = 1000;
    else if (strcmp(end, "m") == 0)
        scale = 60000;
    else if (strcmp(end, "h") == 0)
        scale = 3600000;
    else
        return -1;
    if (v * scale > 4e9)
        return -1;
    *out = (unsigned)(v * scale + 0.5);
    return 0;
}

char **split_words(const char *s)
{
    char **v = NULL;
    size_t n = 0;
    struct strbuf w = {0};
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        int any = 0;
        while (*s && *s != ' ' && *s != '\t') {
            if (*s == '"') {
                s++;
                while (*s && *s != '"') {
                    if (*s == '\\' && s[1])
                        s++;
                    strbuf_add(&w, s++, 1);
                }
                if (*s != '"') {
                    strbuf_free(&w);
                    strv_free(v ? (v[n] = NULL, v) : NULL);
                    return NULL;
                }
                s++;
                any = 1;
            } else {
                strbuf_add(&w, s++, 1);
            }
        }
        (void)any;
        v = xrealloc(v, (n + 2) * sizeof *v);
        v[n++] = strbuf_take(&w);
    }
    v = xrealloc(v, (n + 1) * sizeof *v);
    v[n] = NULL;
    return v;
}

/* Comma-separated list to a vector; empty items are dropped. */
static char **split_list(const char *s)
{
    char **v = NULL;
    size_t n = 0;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if (t > s) {
            v = xrealloc(v, (n + 2) * sizeof *v);
            v[n] = xmalloc((size_t)(t - s) + 1);
            memcpy(v[n], s, (size_t)(t - s));
            v[n][t - s] = '\0';
            n++;
        }
        s = e;
    }
    if (!v)
        return NULL;
    v[n] = NULL;
    return v;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static struct service *cur_service(struct parser *ps)
{
    return &ps->cfg->services[ps->cfg->service_count - 1];
}

static struct probe *cur_probe(struct parser *ps)
{
    return &ps->cfg->probes[ps->cfg->probe_count - 1];
}

static int set_user(struct parser *ps, struct service *s, const char *v)
{
    char *end;
    unsigned long uid = strtoul(v, &end, 10);
    if (end != v && (*end == '\0' || *end == ':')) {
        s->uid = (uid_t)uid;
        s->has_user = 1;
        if (*end == ':') {
            unsigned long gid = strtoul(end + 1, &end, 10);
            if (*end)
                return perr(ps, "user: expected NAME, UID or UID:GID, got '%s'", v);
            s->gid = (gid_t)gid;
            s->has_group = 1;
        }
        return 0;
    }
    struct passwd *pw = getpwnam(v);
    if (!pw)
        return perr(ps, "unknown user '%s' (not in /etc/passwd)", v);
    s->uid = pw->pw_uid;
    s->has_user = 1;
    if (!s->has_group) {
        s->gid = pw->pw_gid;
        s->has_group = 1;
    }
    return 0;
}

static int set_group(struct parser *ps, struct service *s, const char *v)
{
    char *end;
    unsigned long gid = strtoul(v, &end, 10);
    if (end != v && *end == '\0') {
        s->gid = (gid_t)gid;
    } else {
        struct group *gr = getgrnam(v);
        if (!gr)
            return perr(ps, "unknown group '%s' (not in /etc/group)", v);
        s->gid = gr->gr_gid;
    }
    s->has_group = 1;
    return 0;
}

static int duration(struct parser *ps, const char *key, const char *v, unsigned *out)
{
    if (parse_duration_ms(v, out) < 0)
        return perr(ps, "%s: invalid duration '%s' (examples: 5s, 250ms, 2m)", key, v);
    return 0;
}

static int count(struct parser *ps, const char *key, const char *v, unsigned *out, unsigned max)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || *end || n > max)
        return perr(ps, "%s: expected a number from 0 to %u, got '%s'", key, max, v);
    *out = (unsigned)n;
    return 0;
}

#define REPLACE(field, value) (free(field), (field) = (value))

static int service_key(struct parser *ps, const char *key, const char *v)
{
    struct service *s = cur_service(ps);
    int b;
    if (strcmp(key, "command") == 0) {
        char **argv = split_words(v);
        if (!argv)
            return perr(ps, "command: unterminated quote");
        if (!argv[0]) {
            free(argv);
            return perr(ps, "command: empty");
        }
        strv_free(s->argv);
        s->argv = argv;
    } else if (strcmp(key, "wait") == 0) {
        strv_free(s->wait);
        s->wait = split_list(v);
    } else if (strcmp(key, "wait-timeout") == 0) {
        return duration(ps, key, v, &s->wait_timeout_ms);
    } else if (strcmp(key, "user") == 0) {
        return set_user(ps, s, v);
    } else if (strcmp(key, "group") == 0) {
        return set_group(ps, s, v);
    } else if (strcmp(key, "umask") == 0) {
        char *end;
        unsigned long m = strtoul(v, &end, 8);
        if (end == v || *end || m > 0777)
            return perr(ps, "umask: expected an octal mode like 027, got '%s'", v);
        s->umask = (mode_t)m;
        s->has_umask = 1;
    } else if (strcmp(key, "workdir") == 0) {
        REPLACE(s->workdir, xstrdup(v));
    } else if (strcmp(key, "env") == 0) {
        strv_free(s->env_allow);
        s->env_allow = split_list(v);
        if (!s->env_allow)
            s->env_allow = calloc(1, sizeof(char *));
    } else if (strcmp(key, "template") == 0) {
        char **w = split_words(v);
        if (!w || !w[0] || !w[1] || w[2]) {
            strv_free(w);
            return perr(ps, "template: expected 'SOURCE DESTINATION'");
        }
        s->templates = xrealloc(s->templates, (s->template_count + 1) * sizeof *s->templates);
        s->templates[s->template_count++] = (struct template_spec){w[0], w[1], ps->line};
        free(w);
    } else if (strcmp(key, "output") == 0) {
        if (strcmp(v, "prefix") == 0)
            s->prefix_output = 1;
        else if (strcmp(v, "inherit") == 0)
            s->prefix_output = 0;
        else
            return perr(ps, "output: expected 'prefix' or 'inherit', got '%s'", v);
    } else if (strcmp(key, "stop-signal") == 0) {
        if ((s->stop_signal = parse_signal_name(v)) < 0)
            return perr(ps, "stop-signal: unknown signal '%s'", v);
    } else if (strcmp(key, "stop-timeout") == 0) {
        return duration(ps, key, v, &s->stop_timeout_ms);
    } else if (ps->section == SEC_TASK) {
        return perr(ps, "unknown key '%s' for a task", key);
    } else if (strcmp(key, "restart") == 0) {
        if (strcmp(v, "always") == 0)
            s->restart = RESTART_ALWAYS;
        else if (strcmp(v, "on-failure") == 0)
            s->restart = RESTART_ON_FAILURE;
        else if (strcmp(v, "never") == 0)
            s->restart = RESTART_NEVER;
        else
            return perr(ps, "restart: expected always, on-failure or never, got '%s'", v);
    } else if (strcmp(key, "after") == 0) {
        strv_free(s->after);
        s->after = split_list(v);
    } else if (strcmp(key, "ready") == 0) {
        REPLACE(s->ready, xstrdup(v));
    } else if (strcmp(key, "health") == 0) {
        strv_free(s->health);
        s->health = split_list(v);
    } else if (strcmp(key, "main") == 0) {
        if (parse_bool(v, &b) < 0)
            return perr(ps, "main: expected yes or no, got '%s'", v);
        s->is_main = b;
    } else if (strcmp(key, "backoff") == 0) {
        return duration(ps, key, v, &s->backoff_ms);
    } else if (strcmp(key, "backoff-max") == 0) {
        return duration(ps, key, v, &s->backoff_max_ms);
    } else if (strcmp(key, "stable-after") == 0) {
        return duration(ps, key, v, &s->stable_ms);
    } else if (strcmp(key, "max-fast-failures") == 0) {
        return count(ps, key, v, &s->max_fast_failures, 1000);
    } else if (strcmp(key, "traefik-rule") == 0) {
        REPLACE(s->traefik.rule, xstrdup(v));
    } else if (strcmp(key, "traefik-dir") == 0) {
        REPLACE(s->traefik.dir, xstrdup(v));
    } else if (strcmp(key, "traefik-entrypoints") == 0) {
        REPLACE(s->traefik.entrypoints, xstrdup(v));
    } else if (strcmp(key, "traefik-strip-prefix") == 0) {
        REPLACE(s->traefik.strip_prefix, xstrdup(v));
    } else if (strcmp(key, "traefik-host") == 0) {
        REPLACE(s->traefik.host, xstrdup(v));
    } else if (strcmp(key, "traefik-scheme") == 0) {
        if (strcmp(v, "http") && strcmp(v, "https"))
            return perr(ps, "traefik-scheme: expected http or https, got '%s'", v);
        REPLACE(s->traefik.scheme, xstrdup(v));
    } else if (strcmp(key, "traefik-port") == 0) {
        if (count(ps, key, v, &s->traefik.port, 65535) < 0 || s->traefik.port == 0)
            return perr(ps, "traefik-port: expected a port from 1 to 65535, got '%s'", v);
    } else {
        return perr(ps, "unknown key '%s' for a service", key);
    }
    return 0;
}

static int probe_kind(struct parser *ps, struct probe *p, const char *v)
{
    static const struct { const char *name; enum probe_kind kind; } kinds[] = {
        {"http", PROBE_HTTP}, {"https", PROBE_HTTPS}, {"postgres", PROBE_POSTGRES},
        {"tcp", PROBE_TCP}, {"exec", PROBE_EXEC},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(v, kinds[i].name) == 0) {
            p->kind = kinds[i].kind;
            return 0;
        }
    return perr(ps, "unknown probe kind '%s' (expected http, https, postgres, tcp or exec)", v);
}

static int probe_key(struct parser *ps, const char *key, const char *v)
{
    struct probe *p = cur_probe(ps);
    unsigned n;
    if (strcmp(key, "kind") == 0)
        return probe_kind(ps, p, v);
    if (strcmp(key, "url") == 0 || strcmp(key, "conninfo") == 0 || strcmp(key, "address") == 0) {
        REPLACE(p->target, xstrdup(v));
    } else if (strcmp(key, "command") == 0) {
        strv_free(p->argv);
        if (!(p->argv = split_words(v)))
            return perr(ps, "command: unterminated quote");
    } else if (strcmp(key, "status") == 0) {
        if (count(ps, key, v, &n, 599) < 0 || n < 100)
            return perr(ps, "status: expected an HTTP status from 100 to 599, got '%s'", v);
        p->expect_status = (int)n;
    } else if (strcmp(key, "user") == 0) {
        REPLACE(p->user, xstrdup(v));
    } else if (strcmp(key, "user-env") == 0) {
        REPLACE(p->user_env, xstrdup(v));
    } else if (strcmp(key, "password-env") == 0) {
        REPLACE(p->password_env, xstrdup(v));
    } else if (strcmp(key, "ca") == 0) {
        REPLACE(p->ca_file, xstrdup(v));
    } else if (strcmp(key, "cert") == 0) {
        REPLACE(p->cert_file, xstrdup(v));
    } else if (strcmp(key, "key") == 0) {
        REPLACE(p->key_file, xstrdup(v));
    } else if (strcmp(key, "insecure") == 0) {
        if (parse_bool(v, &p->insecure) < 0)
            return perr(ps, "insecure: expected yes or no, got '%s'", v);
    } else if (strcmp(key, "query") == 0) {
        if (parse_bool(v, &p->pg_query) < 0)
            return perr(ps, "query: expected yes or no, got '%s'", v);
    } else if (strcmp(key, "timeout") == 0) {
        if (duration(ps, key, v, &p->timeout_ms) < 0)
            return -1;
        if (p->timeout_ms == 0)
            return perr(ps, "timeout: must be more than 0");
    } else if (strcmp(key, "interval") == 0) {
        if (duration(ps, key, v, &p->interval_ms) < 0)
            return -1;
        if (p->interval_ms < 100)
            return perr(ps, "interval: must be at least 100ms");
    } else {
        return perr(ps, "unknown key '%s' for a probe", key);
    }
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

static void service_defaults(struct service *s)
{
    s->restart = RESTART_ALWAYS;
    s->wait_timeout_ms = DEFAULT_WAIT_TIMEOUT_MS;
    s->stop_signal = SIGTERM;
    s->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
    s->backoff_ms = DEFAULT_BACKOFF_MS;
    s->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
    s->stable_ms = DEFAULT_STABLE_MS;
    s->max_fast_failures = DEFAULT_MAX_FAST_FAILURES;
    s->prefix_output = 1;
    const char *dir = getenv("CIRR_TRAEFIK_DIR");
    if (dir && *dir)
        s->traefik.dir = xstrdup(dir);
}

static int open_section(struct parser *ps, const char *line)
{
    char kind[16], name[128];
    char extra;
    if (sscanf(line, "[%15s %127[^]]]%c", kind, name, &extra) != 2 || line[strlen(line) - 1] != ']')
        return perr(ps, "malformed section header (expected [service NAME], [task NAME] or [probe NAME])");
    if (!valid_name(name))
        return perr(ps, "invalid name '%s' (letters, digits, '-', '_', '.')", name);
    struct config *cfg = ps->cfg;
    if (strcmp(kind, "probe") == 0) {
        if (config_probe(cfg, name))
            return perr(ps, "probe '%s' is declared twice", name);
        cfg->probes = xrealloc(cfg->probes, (cfg->probe_count + 1) * sizeof *cfg->probes);
        struct probe *p = &cfg->probes[cfg->probe_count++];
        memset(p, 0, sizeof *p);
        p->name = xstrdup(name);
        p->line = ps->line;
        p->kind = -1;
        p->expect_status = 200;
        p->timeout_ms = DEFAULT_PROBE_TIMEOUT_MS;
        p->interval_ms = DEFAULT_PROBE_INTERVAL_MS;
        ps->section = SEC_PROBE;
        return 0;
    }
    if (strcmp(kind, "service") && strcmp(kind, "task"))
        return perr(ps, "unknown section '%s' (expected service, task or probe)", kind);
    if (config_service(cfg, name))
        return perr(ps, "'%s' is declared twice", name);
    cfg->services = xrealloc(cfg->services, (cfg->service_count + 1) * sizeof *cfg->services);
    struct service *s = &cfg->services[cfg->service_count++];
    memset(s, 0, sizeof *s);
    service_defaults(s);
    s->name = xstrdup(name);
    s->line = ps->line;
    s->is_task = strcmp(kind, "task") == 0;
    ps->section = s->is_task ? SEC_TASK : SEC_SERVICE;
    return 0;
}

/* A probe section ends: it must have said what kind it is. */
static int close_section(struct parser *ps)
{
    if (ps->section == SEC_PROBE && (int)cur_probe(ps)->kind == -1) {
        ps->line = cur_probe(ps)->line;
        return perr(ps, "probe %s has no 'kind'", cur_probe(ps)->name);
    }
    return 0;
}

static int key_value(struct parser *ps, char *line)
{
    char *eq = strchr(line, '=');
    if (!eq)
        return perr(ps, "expected 'key = value' or a [section] header");
    char *k = line, *ke = eq;
    while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    *ke = '\0';
    char *raw = eq + 1;
    while (*raw == ' ' || *raw == '\t')
        raw++;
    if (!*k)
        return perr(ps, "missing key before '='");
    if (ps->section == SEC_NONE)
        return perr(ps, "'%s' outside a section", k);
    char *v;
    struct template_error terr;
    if (template_render(raw, ps->env, &v, NULL, &terr) < 0)
        return perr(ps, "%s: %s", k, terr.message);
    int rc = ps->section == SEC_PROBE ? probe_key(ps, k, v) : service_key(ps, k, v);
    free(v);
    return rc;
}

int servicefile_parse(const char *path, const char *text, const struct template_env *env,
                      struct config *cfg, char *err, size_t cap)
{
    struct parser ps = {path, 0, SEC_NONE, cfg, env, err, cap};
    cfg->path = path;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = xmalloc(n + 1);
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + (nl ? 1 : 0);
        ps.line++;
        char *s = line, *e = line + n;
        while (*s == ' ' || *s == '\t')
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            *--e = '\0';
        int rc = 0;
        if (*s == '[') {
            rc = close_section(&ps);
            if (rc == 0)
                rc = open_section(&ps, s);
        } else if (*s && *s != '#') {
            rc = key_value(&ps, s);
        }
        free(line);
        if (rc < 0)
            return -1;
    }
    return close_section(&ps);
}
