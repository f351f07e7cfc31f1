/* orthanc_env.c: orthanc.json from the environment (see orthanc_env.h). */
#include "orthanc_env.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PLUGINS "/usr/share/orthanc/plugins/"

struct ctx {
    const struct orthanc_env *env;
    struct jnode *root;
    char *err;
    size_t cap;
    int failed;
};

static void fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct ctx *c, const char *fmt, ...)
{
    if (c->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->cap, fmt, ap);
    va_end(ap);
    c->failed = 1;
}

const char *orthanc_getenv(const struct orthanc_env *env, const char *name)
{
    size_t n = strlen(name);
    for (char **v = env->vars; *v; v++)
        if (strncmp(*v, name, n) == 0 && (*v)[n] == '=')
            return *v + n + 1;
    return NULL;
}

static const char *get(struct ctx *c, const char *name)
{
    const char *v = orthanc_getenv(c->env, name);
    return v && *v ? v : NULL;
}

int orthanc_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "1", "on"}, *const no[] = {"false", "no", "0", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

static int flag(struct ctx *c, const char *name, int fallback)
{
    const char *v = get(c, name);
    if (!v)
        return fallback;
    int b = orthanc_bool(v);
    if (b < 0)
        fail(c, "%s: expected true or false, got '%s'", name, v);
    return b < 0 ? fallback : b;
}

static long number(struct ctx *c, const char *name, long fallback, long min, long max)
{
    const char *v = get(c, name);
    if (!v)
        return fallback;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < min || n > max) {
        fail(c, "%s: expected a number from %ld to %ld, got '%s'", name, min, max, v);
        return fallback;
    }
    return n;
}

static void set_number(struct ctx *c, const char *key, long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", value);
    jnode_set_raw(c->root, key, buf);
}

static void set_bool(struct ctx *c, const char *key, int value)
{
    jnode_set_raw(c->root, key, value ? "true" : "false");
}

/* Split "a,b,c" into at most max fields; the last takes the rest. */
static int fields(char *s, char **out, int max)
{
    int n = 0;
    while (n < max - 1) {
        out[n++] = s;
        char *comma = strchr(s, ',');
        if (!comma)
            return n;
        *comma = '\0';
        s = comma + 1;
    }
    out[n++] = s;
    return n;
}

static int valid_port(const char *s)
{
    char *end;
    long p = strtol(s, &end, 10);
    return *s && !*end && p >= 1 && p <= 65535;
}

static void add_string_array(struct strbuf *sb, char **items, int n)
{
    strbuf_adds(sb, "[");
    for (int i = 0; i < n; i++) {
        strbuf_adds(sb, i ? ", \"" : "\"");
        strbuf_add_json(sb, items[i]);
        strbuf_adds(sb, "\"");
    }
    strbuf_adds(sb, "]");
}

/* ORTHANC_MOD_N = "name,AET,host,port" or "AET,host,port" */
static void modality(struct ctx *c, const char *var, const char *value, struct jnode *mods)
{
    char *copy = xstrdup(value), *f[5];
    int n = fields(copy, f, 5);
    if (n != 3 && n != 4) {
        fail(c, "%s: expected 'name,AET,host,port' or 'AET,host,port'", var);
    } else {
        char **v = n == 4 ? f + 1 : f;
        if (!valid_port(v[2]))
            fail(c, "%s: invalid port '%s'", var, v[2]);
        else if (strlen(v[0]) == 0 || strlen(v[0]) > 16)
            fail(c, "%s: the AE title must be 1 to 16 characters", var);
        else {
            struct strbuf sb = {0};
            strbuf_addf(&sb, "[\"");
            strbuf_add_json(&sb, v[0]);
            strbuf_adds(&sb, "\", \"");
            strbuf_add_json(&sb, v[1]);
            strbuf_addf(&sb, "\", %s]", v[2]);
            jnode_set_raw(mods, n == 4 ? f[0] : v[0], sb.data);
            strbuf_free(&sb);
        }
    }
    free(copy);
}

/* ORTHANC_PEER_N = "name,url,user,pass" (user and pass optional) */
static void peer(struct ctx *c, const char *var, const char *value, struct jnode *peers)
{
    char *copy = xstrdup(value), *f[4];
    int n = fields(copy, f, 4);
    if (n != 2 && n != 4)
        fail(c, "%s: expected 'name,url,user,pass' or 'name,url'", var);
    else if (strncmp(f[1], "http://", 7) && strncmp(f[1], "https://", 8))
        fail(c, "%s: the URL must start with http:// or https://", var);
    else {
        struct strbuf sb = {0};
        add_string_array(&sb, f + 1, n - 1);
        jnode_set_raw(peers, f[0], sb.data);
        strbuf_free(&sb);
    }
    free(copy);
}

/* ORTHANC_USER_N = "user,pass" (the password may hold commas) */
static void user(struct ctx *c, const char *var, const char *value, struct jnode *users)
{
    char *copy = xstrdup(value), *f[2];
    if (fields(copy, f, 2) != 2 || !*f[0] || !*f[1])
        fail(c, "%s: expected 'user,password'", var);
    else
        jnode_set_string(users, f[0], f[1]);
    free(copy);
}

/* ORTHANC_METADATA_N = "name,number" (1024..65535) */
static void metadata(struct ctx *c, const char *var, const char *value, struct jnode *meta)
{
    char *copy = xstrdup(value), *f[2];
    char *end = NULL;
    long n = fields(copy, f, 2) == 2 ? strtol(f[1], &end, 10) : 0;
    if (!end || *end || n < 1024 || n > 65535)
        fail(c, "%s: expected 'name,number' with a number from 1024 to 65535", var);
    else
        set_number(&(struct ctx){.root = meta}, f[0], n);
    free(copy);
}

/* Call fn for every PREFIX<digits>=value, in the order of N. */
static void indexed(struct ctx *c, const char *prefix, struct jnode *into,
                    void (*fn)(struct ctx *, const char *, const char *, struct jnode *))
{
    size_t plen = strlen(prefix);
    for (int want = 0; want <= 99; want++)
        for (char **v = c->env->vars; *v; v++) {
            const char *eq = strchr(*v, '=');
            if (!eq || strncmp(*v, prefix, plen) || eq == *v + plen)
                continue;
            char *end;
            long n = strtol(*v + plen, &end, 10);
            if (end != eq || n != want || !eq[1])
                continue;
            char var[128];
            snprintf(var, sizeof var, "%.*s", (int)(eq - *v), *v);
            fn(c, var, eq + 1, into);
        }
}

static void postgresql(struct ctx *c)
{
    if (!flag(c, "ORTHANC_PG_ENABLED", 0))
        return;
    struct jnode *pg = jnode_object(c->root, "PostgreSQL");
    jnode_set_raw(pg, "EnableIndex", "true");
    jnode_set_raw(pg, "EnableStorage", flag(c, "ORTHANC_PG_STORE_DICOM", 0) ? "true" : "false");
    const char *host = get(c, "ORTHANC_PG_HOST");
    jnode_set_string(pg, "Host", host ? host : "postgres");
    set_number(&(struct ctx){.root = pg}, "Port", number(c, "ORTHANC_PG_PORT", 5432, 1, 65535));
    const char *db = get(c, "ORTHANC_PG_DATABASE");
    jnode_set_string(pg, "Database", db ? db : "orthanc");
    const char *u = get(c, "ORTHANC_PG_USER");
    jnode_set_string(pg, "Username", u ? u : "postgres");
    const char *pw = get(c, "ORTHANC_PG_PASSWORD");
    if (!pw)
        fail(c, "ORTHANC_PG_PASSWORD is not set (needed with ORTHANC_PG_ENABLED)");
    jnode_set_string(pg, "Password", pw ? pw : "");
    /* several replicas share one database: no exclusive lock */
    jnode_set_raw(pg, "Lock", "false");
}

static void plugins(struct ctx *c)
{
    struct strbuf sb = {0};
    strbuf_adds(&sb, "[\"" PLUGINS "libOrthancDicomWeb.so\"");
    if (flag(c, "ORTHANC_PG_ENABLED", 0))
        strbuf_adds(&sb, ", \"" PLUGINS "libOrthancPostgreSQLIndex.so\", \"" PLUGINS
                         "libOrthancPostgreSQLStorage.so\"");
    if (flag(c, "ORTHANC_WBV_ENABLED", 0))
        strbuf_adds(&sb, ", \"" PLUGINS "libOrthancWebViewer.so\"");
    strbuf_adds(&sb, "]");
    jnode_set_raw(c->root, "Plugins", sb.data);
    strbuf_free(&sb);
}

static void security(struct ctx *c)
{
    const char *pw = get(c, "ORTHANC_PASSWORD");
    const char *opt_out = get(c, "ORTHANC_AUTH_DISABLED");
    struct jnode *users = jnode_object(c->root, "RegisteredUsers");
    if (opt_out && strcmp(opt_out, ORTHANC_NO_AUTH_CONSENT) != 0)
        fail(c, "ORTHANC_AUTH_DISABLED: only for tests; set it to '%s' to confirm",
             ORTHANC_NO_AUTH_CONSENT);
    if (!pw && !opt_out)
        fail(c, "ORTHANC_PASSWORD is not set (or ORTHANC_PASSWORD_FILE, or "
                "/run/secrets/ORTHANC_PASSWORD): refusing to start without authentication");
    if (pw)
        jnode_set_string(users, "admin", pw);
    indexed(c, "ORTHANC_USER_", users, user);
    set_bool(c, "AuthenticationEnabled", !opt_out);
    set_bool(c, "RemoteAccessAllowed", 1);
}

void orthanc_camel(const char *upper, char *out, size_t cap)
{
    static const struct { const char *from, *to; } special[] = {
        {"POSTGRESQL", "PostgreSQL"}, {"MYSQL", "MySQL"}, {"ODBC", "Odbc"}, {"GDCM", "Gdcm"},
    };
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        if (strcmp(upper, special[i].from) == 0) {
            snprintf(out, cap, "%s", special[i].to);
            return;
        }
    size_t n = 0;
    int start = 1;
    for (const char *p = upper; *p && n + 1 < cap; p++) {
        if (*p == '_') {
            start = 1;
            continue;
        }
        out[n++] = (char)(start ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
        start = 0;
    }
    out[n] = '\0';
}

/* A value as JSON: true/false, a number, JSON text ([...], {...}), or a string. */
static void typed_value(const char *v, struct strbuf *sb)
{
    char *end;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 || strcmp(v, "null") == 0) {
        strbuf_adds(sb, v);
        return;
    }
    strtod(v, &end);
    if (*v && !*end && (isdigit((unsigned char)*v) || *v == '-')) {
        strbuf_adds(sb, v);
        return;
    }
    if (*v == '[' || *v == '{') {
        strbuf_adds(sb, v);
        return;
    }
    strbuf_adds(sb, "\"");
    strbuf_add_json(sb, v);
    strbuf_adds(sb, "\"");
}

/* ORTHANC__SECTION__KEY=value, for everything the seed variables lack. */
static void json_paths(struct ctx *c)
{
    for (char **v = c->env->vars; *v; v++) {
        if (strncmp(*v, "ORTHANC__", 9) != 0)
            continue;
        const char *eq = strchr(*v, '=');
        char name[256], *parts[8], camel[8][96];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *v - 9), *v + 9);
        int n = 0;
        for (char *p = name; n < 8;) {
            parts[n++] = p;
            char *sep = strstr(p, "__");
            if (!sep)
                break;
            *sep = '\0';
            p = sep + 2;
        }
        const char *path[8];
        for (int i = 0; i < n; i++) {
            if (!*parts[i]) {
                fail(c, "%.*s: empty name part", (int)(eq - *v), *v);
                return;
            }
            orthanc_camel(parts[i], camel[i], sizeof camel[i]);
            path[i] = camel[i];
        }
        struct strbuf sb = {0};
        typed_value(eq + 1, &sb);
        jnode_set(c->root, path, n, sb.data);
        strbuf_free(&sb);
    }
}

struct jnode *orthanc_config(const struct orthanc_env *env, char *err, size_t cap)
{
    struct ctx c = {env, jnode_new_object(), err, cap, 0};
    const char *name = get(&c, "ORTHANC_NAME"), *aet = get(&c, "ORTHANC_AET");
    jnode_set_string(c.root, "Name", name ? name : "cirr");
    jnode_set_string(c.root, "DicomAet", aet ? aet : "ORTHANC");
    if (aet && strlen(aet) > 16)
        fail(&c, "ORTHANC_AET: an AE title has at most 16 characters");
    set_number(&c, "DicomPort", 4242);
    set_number(&c, "HttpPort", 8042);
    jnode_set_string(c.root, "StorageDirectory", "/var/lib/orthanc/db");
    jnode_set_string(c.root, "IndexDirectory", "/var/lib/orthanc/db");
    set_bool(&c, "StorageCompression", flag(&c, "ORTHANC_STORE_COMPRESSED", 0));
    set_number(&c, "MaximumPatientCount", number(&c, "ORTHANC_MAX_PATIENTS", 0, 0, 1L << 30));
    set_number(&c, "MaximumStorageSize", number(&c, "ORTHANC_MAX_SIZE", 0, 0, 1L << 40));
    set_number(&c, "ConcurrentJobs", number(&c, "ORTHANC_JOBS", 2, 0, 1024));
    set_bool(&c, "SynchronousCMove", flag(&c, "ORTHANC_SYNC_CMOVE", 1));
    set_number(&c, "StableAge", number(&c, "ORTHANC_STABLE_AGE", 60, 1, 86400));
    set_number(&c, "DicomScuTimeout", number(&c, "ORTHANC_DICOM_SCU_TIMEOUT", 10, 1, 3600));
    security(&c);
    plugins(&c);
    struct jnode *web = jnode_object(c.root, "DicomWeb");
    jnode_set_raw(web, "Enable", "true");
    jnode_set_string(web, "Root", "/dicom-web/");
    indexed(&c, "ORTHANC_MOD_", jnode_object(c.root, "DicomModalities"), modality);
    indexed(&c, "ORTHANC_PEER_", jnode_object(c.root, "OrthancPeers"), peer);
    indexed(&c, "ORTHANC_METADATA_", jnode_object(c.root, "UserMetadata"), metadata);
    postgresql(&c);
    json_paths(&c);
    if (c.failed) {
        jnode_free(c.root);
        return NULL;
    }
    return c.root;
}
