/* servicefile.c: parses the service file (see servicefile.h). */
#include "servicefile.h"

#include "list.h"
#include "log.h"
#include "signame.h"
#include "strbuf.h"
#include "words.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
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
    log_vformat(msg, sizeof msg, fmt, ap); /* redacted whole, then cut */
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

/* One key of a section: how its value is parsed, and into which field of
 * struct service or struct probe (offset) for the generic parsers. */
struct key;
typedef int key_parser(struct parser *ps, const struct key *k, const char *v);
struct key {
    const char *name;
    key_parser *parse;
    size_t offset;
    unsigned max;          /* set_count: the largest value */
    int service_only;      /* not for a [task] */
    int split;             /* words or items: the parser gets the value unexpanded
                              and expands within each (words.h) */
};

/* The section being read: a struct probe or a struct service. */
static void *section_object(struct parser *ps)
{
    return ps->section == SEC_PROBE ? (void *)cur_probe(ps) : (void *)cur_service(ps);
}

/* The field of the section's object that key k sets. */
#define FIELD(ps, k, type) ((type *)((char *)section_object(ps) + (k)->offset))

/* The generic parsers: text, comma list, duration, yes/no, number. */
static int set_text(struct parser *ps, const struct key *k, const char *v)
{
    char **field = FIELD(ps, k, char *);
    free(*field);
    *field = xstrdup(v);
    return 0;
}

/* The words (or items) of raw, expanded within each; NULL after perr. */
static char **expand_split(struct parser *ps, const struct key *k, const char *raw, int items)
{
    char msg[256];
    char **v = items ? words_expand_items(raw, ps->env, msg, sizeof msg)
                     : words_expand(raw, ps->env, msg, sizeof msg);
    if (!v)
        perr(ps, "%s: %s", k->name, msg);
    return v;
}

/* The words (items: the comma list) of raw into the vector field of the
 * section's object that k sets. */
static int set_vector(struct parser *ps, const struct key *k, const char *raw, int items)
{
    char **v = expand_split(ps, k, raw, items);
    if (!v)
        return -1;
    char ***field = FIELD(ps, k, char **);
    list_free(*field);
    *field = v;
    return 0;
}

/* An empty list is NULL: "nothing named", as when the key is absent. */
static int set_list(struct parser *ps, const struct key *k, const char *v)
{
    if (set_vector(ps, k, v, 1) < 0)
        return -1;
    char ***field = FIELD(ps, k, char **);
    if (!**field) {
        list_free(*field);
        *field = NULL;
    }
    return 0;
}

static int set_duration(struct parser *ps, const struct key *k, const char *v)
{
    if (parse_duration_ms(v, FIELD(ps, k, unsigned)) < 0)
        return perr(ps, "%s: invalid duration '%s' (examples: 5s, 250ms, 2m)", k->name, v);
    return 0;
}

static int set_bool(struct parser *ps, const struct key *k, const char *v)
{
    if (parse_bool(v, FIELD(ps, k, int)) < 0)
        return perr(ps, "%s: expected yes or no, got '%s'", k->name, v);
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

static int set_count(struct parser *ps, const struct key *k, const char *v)
{
    return count(ps, k->name, v, FIELD(ps, k, unsigned), k->max);
}

/* Service keys with their own rules. */
static int set_command(struct parser *ps, const struct key *k, const char *v)
{
    if (set_vector(ps, k, v, 0) < 0)
        return -1;
    if (!cur_service(ps)->argv[0])
        return perr(ps, "%s: empty", k->name);
    return 0;
}

/* The identity the section's user, group or probe-user keys set. */
static struct identity *section_identity(struct parser *ps)
{
    return ps->section == SEC_PROBE ? &cur_probe(ps)->id : &cur_service(ps)->id;
}

static int set_user(struct parser *ps, const struct key *k, const char *v)
{
    char msg[384];
    struct identity *id = section_identity(ps);
    if (identity_set_user(id, k->name, v, msg, sizeof msg) < 0)
        return perr(ps, "%s", msg);
    id->line = ps->line;
    return 0;
}

static int set_group(struct parser *ps, const struct key *k, const char *v)
{
    char msg[384];
    if (identity_set_group(section_identity(ps), k->name, v, msg, sizeof msg) < 0)
        return perr(ps, "%s", msg);
    return 0;
}

static int set_umask(struct parser *ps, const struct key *k, const char *v)
{
    struct service *s = cur_service(ps);
    char *end;
    unsigned long m = strtoul(v, &end, 8);
    if (end == v || *end || m > 0777)
        return perr(ps, "%s: expected an octal mode like 027, got '%s'", k->name, v);
    s->umask = (mode_t)m;
    s->has_umask = 1;
    return 0;
}

/* env: an empty allow-list lets the process see nothing (unlike no list). */
static int set_env(struct parser *ps, const struct key *k, const char *v)
{
    return set_vector(ps, k, v, 1);
}

static int add_template(struct parser *ps, const struct key *k, const char *v)
{
    struct service *s = cur_service(ps);
    char **w = expand_split(ps, k, v, 0);
    if (!w)
        return -1;
    if (!w[0] || !w[1] || w[2]) {
        list_free(w);
        return perr(ps, "%s: expected 'SOURCE DESTINATION'", k->name);
    }
    s->templates = xrealloc(s->templates, (s->template_count + 1) * sizeof *s->templates);
    s->templates[s->template_count++] = (struct template_spec){w[0], w[1], ps->line};
    free(w);
    return 0;
}

/* A value from a fixed list of words: its index in words, or -1. */
static int one_of(const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v, words[i]) == 0)
            return i;
    return -1;
}

static int set_output(struct parser *ps, const struct key *k, const char *v)
{
    static const char *const words[] = {"inherit", "prefix"};
    int i = one_of(v, words, 2);
    if (i < 0)
        return perr(ps, "%s: expected 'prefix' or 'inherit', got '%s'", k->name, v);
    cur_service(ps)->prefix_output = i;
    return 0;
}

static int set_stop_signal(struct parser *ps, const struct key *k, const char *v)
{
    struct service *s = cur_service(ps);
    if ((s->stop_signal = parse_signal_name(v)) < 0)
        return perr(ps, "%s: unknown signal '%s'", k->name, v);
    return 0;
}

static int set_restart(struct parser *ps, const struct key *k, const char *v)
{
    static const char *const words[] = {[RESTART_ALWAYS] = "always",
                                        [RESTART_ON_FAILURE] = "on-failure",
                                        [RESTART_NEVER] = "never"};
    int i = one_of(v, words, 3);
    if (i < 0)
        return perr(ps, "%s: expected always, on-failure or never, got '%s'", k->name, v);
    cur_service(ps)->restart = (enum restart_policy)i;
    return 0;
}

static int set_scheme(struct parser *ps, const struct key *k, const char *v)
{
    static const char *const words[] = {"http", "https"};
    if (one_of(v, words, 2) < 0)
        return perr(ps, "traefik-scheme: expected http or https, got '%s'", v);
    return set_text(ps, k, v);
}

static int set_port(struct parser *ps, const struct key *k, const char *v)
{
    struct service *s = cur_service(ps);
    if (count(ps, k->name, v, &s->traefik.port, 65535) < 0 || s->traefik.port == 0)
        return perr(ps, "traefik-port: expected a port from 1 to 65535, got '%s'", v);
    return 0;
}

#define SVC(name, fn, field, only) {name, fn, offsetof(struct service, field), 0, only, 0}
#define SVC_SPLIT(name, fn, field, only) {name, fn, offsetof(struct service, field), 0, only, 1}
#define SVC_SPECIAL(name, fn, only) {name, fn, 0, 0, only, 0}

static const struct key service_keys[] = {
    {"command", set_command, offsetof(struct service, argv), 0, 0, 1},
    SVC_SPLIT("wait", set_list, wait, 0),
    SVC("wait-timeout", set_duration, wait_timeout_ms, 0),
    SVC_SPECIAL("user", set_user, 0),
    SVC_SPECIAL("group", set_group, 0),
    SVC_SPECIAL("umask", set_umask, 0),
    SVC("workdir", set_text, workdir, 0),
    SVC_SPLIT("env", set_env, env_allow, 0),
    {"template", add_template, 0, 0, 0, 1},
    SVC_SPECIAL("output", set_output, 0),
    SVC_SPECIAL("stop-signal", set_stop_signal, 0),
    SVC("stop-timeout", set_duration, stop_timeout_ms, 0),
    SVC_SPECIAL("restart", set_restart, 1),
    SVC_SPLIT("after", set_list, after, 1),
    SVC("ready", set_text, ready, 1),
    SVC_SPLIT("health", set_list, health, 1),
    SVC("main", set_bool, is_main, 1),
    SVC("backoff", set_duration, backoff_ms, 1),
    SVC("backoff-max", set_duration, backoff_max_ms, 1),
    SVC("stable-after", set_duration, stable_ms, 1),
    {"max-fast-failures", set_count, offsetof(struct service, max_fast_failures), 1000, 1, 0},
    SVC("traefik-rule", set_text, traefik.rule, 1),
    SVC("traefik-dir", set_text, traefik.dir, 1),
    SVC("traefik-entrypoints", set_text, traefik.entrypoints, 1),
    SVC("traefik-strip-prefix", set_text, traefik.strip_prefix, 1),
    SVC("traefik-host", set_text, traefik.host, 1),
    SVC("traefik-scheme", set_scheme, traefik.scheme, 1),
    SVC_SPECIAL("traefik-port", set_port, 1),
};

/* Probe keys with their own rules. */
static int set_kind(struct parser *ps, const struct key *k, const char *v)
{
    (void)k;
    static const char *const words[] = {[PROBE_HTTP] = "http", [PROBE_HTTPS] = "https",
                                        [PROBE_POSTGRES] = "postgres", [PROBE_TCP] = "tcp",
                                        [PROBE_EXEC] = "exec"};
    int i = one_of(v, words, 5);
    if (i < 0)
        return perr(ps, "unknown probe kind '%s' (expected http, https, postgres, tcp or exec)", v);
    cur_probe(ps)->kind = (enum probe_kind)i;
    return 0;
}

static int set_words(struct parser *ps, const struct key *k, const char *v)
{
    return set_vector(ps, k, v, 0);
}

static int set_status(struct parser *ps, const struct key *k, const char *v)
{
    unsigned n;
    if (count(ps, k->name, v, &n, 599) < 0 || n < 100)
        return perr(ps, "status: expected an HTTP status from 100 to 599, got '%s'", v);
    cur_probe(ps)->expect_status = (int)n;
    return 0;
}

static int set_timeout(struct parser *ps, const struct key *k, const char *v)
{
    if (set_duration(ps, k, v) < 0)
        return -1;
    if (cur_probe(ps)->timeout_ms == 0)
        return perr(ps, "timeout: must be more than 0");
    return 0;
}

static int set_interval(struct parser *ps, const struct key *k, const char *v)
{
    if (set_duration(ps, k, v) < 0)
        return -1;
    if (cur_probe(ps)->interval_ms < 100)
        return perr(ps, "interval: must be at least 100ms");
    return 0;
}

#define PRB(name, fn, field) {name, fn, offsetof(struct probe, field), 0, 0, 0}

static const struct key probe_keys[] = {
    {"kind", set_kind, 0, 0, 0, 0},
    PRB("url", set_text, target),
    PRB("conninfo", set_text, target),
    PRB("address", set_text, target),
    {"command", set_words, offsetof(struct probe, argv), 0, 0, 1},
    {"status", set_status, 0, 0, 0, 0},
    PRB("user", set_text, user),
    PRB("user-env", set_text, user_env),
    PRB("password-env", set_text, password_env),
    PRB("ca", set_text, ca_file),
    PRB("cert", set_text, cert_file),
    PRB("key", set_text, key_file),
    PRB("insecure", set_bool, insecure),
    PRB("query", set_bool, pg_query),
    PRB("timeout", set_timeout, timeout_ms),
    PRB("interval", set_interval, interval_ms),
    {"probe-user", set_user, 0, 0, 0, 0},
};

static const struct key *find_key(const struct key *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* The key called name in the current section, or NULL after perr. */
static const struct key *section_key(struct parser *ps, const char *name)
{
    const struct key *k = ps->section == SEC_PROBE
        ? find_key(probe_keys, sizeof probe_keys / sizeof *probe_keys, name)
        : find_key(service_keys, sizeof service_keys / sizeof *service_keys, name);
    if (!k || (k->service_only && ps->section == SEC_TASK)) {
        perr(ps, "unknown key '%s' for a %s", name,
             ps->section == SEC_PROBE ? "probe" : ps->section == SEC_TASK ? "task" : "service");
        return NULL;
    }
    return k;
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

static void service_defaults(struct service *s, const struct config *cfg)
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
    if (cfg->traefik_dir)
        s->traefik.dir = xstrdup(cfg->traefik_dir);
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
        if (cfg->ca_bundle)
            p->ca_file = xstrdup(cfg->ca_bundle);
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
    service_defaults(s, cfg);
    s->name = xstrdup(name);
    s->line = ps->line;
    s->is_task = strcmp(kind, "task") == 0;
    ps->section = s->is_task ? SEC_TASK : SEC_SERVICE;
    return 0;
}

/* A section ends: a probe must have said what kind it is; the user and
 * groups are settled, now that every key is read. */
static int close_section(struct parser *ps)
{
    if (ps->section == SEC_NONE)
        return 0;
    if (ps->section == SEC_PROBE && (int)cur_probe(ps)->kind == -1) {
        ps->line = cur_probe(ps)->line;
        return perr(ps, "probe %s has no 'kind'", cur_probe(ps)->name);
    }
    struct identity *id = section_identity(ps);
    char msg[256];
    if (identity_finish(id, msg, sizeof msg) < 0) {
        ps->line = id->line;
        return perr(ps, "%s: %s: add '%s'", ps->section == SEC_PROBE ? "probe-user" : "user", msg,
                    ps->section == SEC_PROBE ? "probe-user = UID:GID" : "group = GID");
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
    const struct key *key = section_key(ps, k);
    if (!key)
        return -1;
    if (key->split) /* split first, then expanded within each word */
        return key->parse(ps, key, raw);
    char *v;
    struct template_error terr;
    if (template_render(raw, ps->env, &v, NULL, &terr) < 0)
        return perr(ps, "%s: %s", k, terr.message);
    int rc = key->parse(ps, key, v);
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
