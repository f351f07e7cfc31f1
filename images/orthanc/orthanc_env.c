/* orthanc_env.c: orthanc.json from the environment (see orthanc_env.h). */
#include "orthanc_env.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGINS "/usr/share/orthanc/plugins/"

#define S struct orthanc_settings
const struct envconf_var orthanc_table[] = {
    ENVCONF_STR("CIRR_ORTHANC_CONFIG", "/etc/orthanc/orthanc.json", S, config_path,
                "the configuration file prepare writes and run gives Orthanc"),
    ENVCONF_NUM("ORTHANC_PG_WAIT", "120", 1, 86400, S, pg_wait,
                "seconds prepare waits for PostgreSQL to accept a login"),
    ENVCONF_STR("CIRR_ORTHANC_STORAGE", "/var/lib/orthanc/db", S, storage,
                "the storage folder prepare gives to the orthanc user"),
    ENVCONF_STR("ORTHANC_VERBOSE", "false", S, verbose,
                "Orthanc's log: true (--verbose), trace (--trace), false"),
    ENVCONF_STR("ORTHANC_NAME", "cirr", S, name, "this Orthanc's name (Name)"),
    ENVCONF_TXT("ORTHANC_AET", "ORTHANC", 16, S, aet, "its DICOM AE title (DicomAet)"),
    ENVCONF_STR("ORTHANC_PASSWORD", "", S, password,
                "password of the user admin; required unless ORTHANC_AUTH_DISABLED"),
    ENVCONF_STR("ORTHANC_AUTH_DISABLED", "", S, auth_disabled,
                "tests only: '" ORTHANC_NO_AUTH_CONSENT "' turns authentication off"),
    ENVCONF_NUM("ORTHANC_MAX_PATIENTS", "0", 0, 1ULL << 30, S, max_patients,
                "patients kept at most, 0: no limit (MaximumPatientCount)"),
    ENVCONF_BOOL("ORTHANC_STORE_COMPRESSED", "false", S, store_compressed,
                 "compress the stored files (StorageCompression)"),
    ENVCONF_NUM("ORTHANC_MAX_SIZE", "0", 0, 1ULL << 40, S, max_size,
                "MB stored at most, 0: no limit (MaximumStorageSize)"),
    ENVCONF_NUM("ORTHANC_JOBS", "2", 0, 1024, S, jobs, "jobs run at once (ConcurrentJobs)"),
    ENVCONF_BOOL("ORTHANC_SYNC_CMOVE", "true", S, sync_cmove,
                 "answer a C-MOVE once it is done (SynchronousCMove)"),
    ENVCONF_NUM("ORTHANC_STABLE_AGE", "60", 1, 86400, S, stable_age,
                "seconds without news before a series is stable (StableAge)"),
    ENVCONF_NUM("ORTHANC_DICOM_SCU_TIMEOUT", "10", 1, 3600, S, scu_timeout,
                "seconds to wait for a DICOM peer (DicomScuTimeout)"),
    ENVCONF_BOOL("ORTHANC_WBV_ENABLED", "false", S, wbv_enabled, "load the web viewer plugin"),
    ENVCONF_BOOL("ORTHANC_PG_ENABLED", "false", S, pg_enabled,
                 "keep the index in PostgreSQL (PostgreSQL.EnableIndex, and its plugins)"),
    ENVCONF_BOOL("ORTHANC_PG_STORE_DICOM", "false", S, pg_store_dicom,
                 "keep the files in PostgreSQL too (PostgreSQL.EnableStorage)"),
    ENVCONF_STR("ORTHANC_PG_HOST", "postgres", S, pg_host, "PostgreSQL server (PostgreSQL.Host)"),
    ENVCONF_NUM("ORTHANC_PG_PORT", "5432", 1, 65535, S, pg_port, "its port (PostgreSQL.Port)"),
    ENVCONF_STR("ORTHANC_PG_USER", "postgres", S, pg_user, "PostgreSQL user (PostgreSQL.Username)"),
    ENVCONF_STR("ORTHANC_PG_PASSWORD", "", S, pg_password,
                "its password, required with ORTHANC_PG_ENABLED (PostgreSQL.Password)"),
    ENVCONF_STR("ORTHANC_PG_DATABASE", "orthanc", S, pg_database,
                "the database, created when missing (PostgreSQL.Database)"),
};
#undef S
const size_t orthanc_table_len = sizeof orthanc_table / sizeof *orthanc_table;

int orthanc_settings_load(struct orthanc_settings *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (envconf_load(orthanc_table, orthanc_table_len, s, err, cap) < 0)
        return -1;
    if (strcmp(s->verbose, "trace") != 0 && envconf_bool(s->verbose) < 0)
        return envconf_fail(err, cap, "ORTHANC_VERBOSE: expected true, false or trace, got '%s'",
                            s->verbose);
    return 0;
}

struct ctx {
    const struct orthanc_settings *s;
    char *const *vars;
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

static void set_number(struct jnode *obj, const char *key, unsigned long long value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", value);
    jnode_set_raw(obj, key, buf);
}

static void set_bool(struct jnode *obj, const char *key, int value)
{
    jnode_set_raw(obj, key, value ? "true" : "false");
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
        set_number(meta, f[0], (unsigned long long)n);
    free(copy);
}

/* Call fn for every PREFIX<digits>=value, in the order of N. */
static void indexed(struct ctx *c, const char *prefix, struct jnode *into,
                    void (*fn)(struct ctx *, const char *, const char *, struct jnode *))
{
    size_t plen = strlen(prefix);
    for (int want = 0; want <= 99; want++)
        for (char *const *v = c->vars; *v; v++) {
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
    const struct orthanc_settings *s = c->s;
    if (!s->pg_enabled)
        return;
    struct jnode *pg = jnode_object(c->root, "PostgreSQL");
    set_bool(pg, "EnableIndex", 1);
    set_bool(pg, "EnableStorage", s->pg_store_dicom);
    jnode_set_string(pg, "Host", s->pg_host);
    set_number(pg, "Port", s->pg_port);
    jnode_set_string(pg, "Database", s->pg_database);
    jnode_set_string(pg, "Username", s->pg_user);
    if (!*s->pg_password)
        fail(c, "ORTHANC_PG_PASSWORD is not set (needed with ORTHANC_PG_ENABLED)");
    jnode_set_string(pg, "Password", s->pg_password);
    /* several replicas share one database: no exclusive lock */
    jnode_set_raw(pg, "Lock", "false");
}

static void plugins(struct ctx *c)
{
    struct strbuf sb = {0};
    strbuf_adds(&sb, "[\"" PLUGINS "libOrthancDicomWeb.so\"");
    if (c->s->pg_enabled)
        strbuf_adds(&sb, ", \"" PLUGINS "libOrthancPostgreSQLIndex.so\", \"" PLUGINS
                         "libOrthancPostgreSQLStorage.so\"");
    if (c->s->wbv_enabled)
        strbuf_adds(&sb, ", \"" PLUGINS "libOrthancWebViewer.so\"");
    strbuf_adds(&sb, "]");
    jnode_set_raw(c->root, "Plugins", sb.data);
    strbuf_free(&sb);
}

static void security(struct ctx *c)
{
    const char *pw = c->s->password, *opt_out = c->s->auth_disabled;
    struct jnode *users = jnode_object(c->root, "RegisteredUsers");
    if (*opt_out && strcmp(opt_out, ORTHANC_NO_AUTH_CONSENT) != 0)
        fail(c, "ORTHANC_AUTH_DISABLED: only for tests; set it to '%s' to confirm",
             ORTHANC_NO_AUTH_CONSENT);
    if (!*pw && !*opt_out)
        fail(c, "ORTHANC_PASSWORD is not set (or ORTHANC_PASSWORD_FILE, or "
                "/run/secrets/ORTHANC_PASSWORD): refusing to start without authentication");
    if (*pw)
        jnode_set_string(users, "admin", pw);
    indexed(c, "ORTHANC_USER_", users, user);
    set_bool(c->root, "AuthenticationEnabled", !*opt_out);
    set_bool(c->root, "RemoteAccessAllowed", 1);
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
    for (char *const *v = c->vars; *v; v++) {
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

/* The single settings, in orthanc.json's order. */
static void scalars(struct ctx *c)
{
    const struct orthanc_settings *s = c->s;
    jnode_set_string(c->root, "Name", s->name);
    jnode_set_string(c->root, "DicomAet", s->aet);
    set_number(c->root, "DicomPort", 4242);
    set_number(c->root, "HttpPort", 8042);
    jnode_set_string(c->root, "StorageDirectory", "/var/lib/orthanc/db");
    jnode_set_string(c->root, "IndexDirectory", "/var/lib/orthanc/db");
    set_bool(c->root, "StorageCompression", s->store_compressed);
    set_number(c->root, "MaximumPatientCount", s->max_patients);
    set_number(c->root, "MaximumStorageSize", s->max_size);
    set_number(c->root, "ConcurrentJobs", s->jobs);
    set_bool(c->root, "SynchronousCMove", s->sync_cmove);
    set_number(c->root, "StableAge", s->stable_age);
    set_number(c->root, "DicomScuTimeout", s->scu_timeout);
}

struct jnode *orthanc_config(const struct orthanc_settings *s, char *const *vars, char *err, size_t cap)
{
    struct ctx c = {s, vars, jnode_new_object(), err, cap, 0};
    scalars(&c);
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
