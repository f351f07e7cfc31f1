/* muxconf.c: settings from the environment (see muxconf.h). */
#include "muxconf.h"

#include "envconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* "A,B,C" into a NULL-terminated list of at most max-1 strdup'd items. */
static int list(const char *text, char **out, size_t max)
{
    size_t n = 0;
    while (*text && n + 1 < max) {
        size_t len = strcspn(text, ",");
        while (len && text[len - 1] == ' ')
            len--;
        if (len)
            out[n++] = strndup(text, len);
        text += strcspn(text, ",");
        while (*text == ',' || *text == ' ')
            text++;
    }
    out[n] = NULL;
    return (int)n;
}

/* MUX_DEST_<NAME>=AET,host,port (and the seed's MOD_WORKSTATION). */
static int add_dest(struct mux_conf *c, const char *var, const char *name, const char *value, char *err, size_t cap)
{
    if (c->ndests == MUX_MAX_DESTS)
        return envconf_fail(err, cap, "%s: at most %d destinations", var, MUX_MAX_DESTS);
    struct mux_dest *d = &c->dests[c->ndests];
    memset(d, 0, sizeof *d);
    char aet[64];
    if (sscanf(value, "%63[^,],%127[^,],%u", aet, d->host, &d->port) != 3 || !d->port || d->port > 65535 ||
        strlen(aet) > 16 || !*aet)
        return envconf_fail(err, cap, "%s: expected 'AET,host,port'", var);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return envconf_fail(err, cap, "%s: destination names are letters, digits, '_' and '-'", var);
    snprintf(d->name, sizeof d->name, "%.31s", name);
    snprintf(d->aet, sizeof d->aet, "%.16s", aet); /* length checked above */
    char key[128];
    unsigned long long workers;
    snprintf(key, sizeof key, "MUX_DEST_%s_WORKERS", name);
    if (envconf_number(key, "1", 1, 16, &workers, err, cap) < 0)
        return -1;
    d->workers = (unsigned)workers;
    snprintf(key, sizeof key, "MUX_DEST_%s_MODALITY", name);
    list(envconf_get(key, ""), d->modalities, MUX_MAX_FILTER);
    snprintf(key, sizeof key, "MUX_DEST_%s_CALLING", name);
    list(envconf_get(key, ""), d->callers, MUX_MAX_FILTER);
    snprintf(key, sizeof key, "MUX_DEST_%s_SOP_CLASS", name);
    list(envconf_get(key, ""), d->sop_classes, MUX_MAX_FILTER);
    for (unsigned i = 0; i < c->ndests; i++)
        if (!strcmp(c->dests[i].name, d->name))
            return envconf_fail(err, cap, "%s: destination %s is declared twice", var, d->name);
    c->ndests++;
    return 0;
}

static int destinations(struct mux_conf *c, char *err, size_t cap)
{
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        char var[128];
        snprintf(var, sizeof var, "%.*s", (int)(eq - *e), *e);
        if (!strncmp(var, "MUX_DEST_", 9)) {
            const char *name = var + 9;
            if (strstr(name, "_WORKERS") || strstr(name, "_MODALITY") || strstr(name, "_CALLING") ||
                strstr(name, "_SOP_CLASS"))
                continue;
            if (add_dest(c, var, name, eq + 1, err, cap) < 0)
                return -1;
        } else if (!strcmp(var, "MOD_WORKSTATION") && eq[1]) {
            if (add_dest(c, var, "WORKSTATION", eq + 1, err, cap) < 0)
                return -1;
        }
    }
    if (!c->ndests)
        return envconf_fail(err, cap, "no destination: set MUX_DEST_<NAME>=AET,host,port (or MOD_WORKSTATION)");
    return 0;
}

int mux_conf_load(struct mux_conf *c, char *err, size_t cap)
{
    unsigned long long n;
    memset(c, 0, sizeof *c);
    if (strlen(envconf_get("MUX_AET", "CIRRMUX")) > 16)
        return envconf_fail(err, cap, "MUX_AET: at most 16 characters");
    snprintf(c->aet, sizeof c->aet, "%s", envconf_get("MUX_AET", "CIRRMUX"));
    if (envconf_number("MUX_PORT", "5252", 1, 65535, &n, err, cap) < 0)
        return -1;
    c->port = (unsigned)n;
    if (envconf_number("MUX_HTTP_PORT", "8081", 0, 65535, &n, err, cap) < 0)
        return -1;
    c->http_port = (unsigned)n;
    if (envconf_number("MUX_MAX_ASSOCIATIONS", "32", 1, 1000, &n, err, cap) < 0)
        return -1;
    c->max_associations = (unsigned)n;
    snprintf(c->spool, sizeof c->spool, "%s", envconf_get("MUX_SPOOL", "/var/spool/cirr-mux"));
    const char *allow = getenv("MUX_ALLOW");
    if (!allow || !*allow)
        return envconf_fail(err, cap, "MUX_ALLOW is not set: list the calling AE titles allowed to send "
                              "(AET1,AET2), or '*' to accept any");
    c->allow_any = !strcmp(allow, "*");
    if (!c->allow_any)
        list(allow, c->allowed, 64);
    if (envconf_number("MUX_MIN_FREE_MB", "1024", 0, 1ull << 30, &n, err, cap) < 0)
        return -1;
    c->min_free_bytes = n * 1024 * 1024;
    if (envconf_number("MUX_RETRY_BASE_MS", "1000", 10, 3600000, &n, err, cap) < 0)
        return -1;
    c->retry_base_ms = (unsigned)n;
    if (envconf_number("MUX_RETRY_MAX_MS", "300000", 10, 86400000, &n, err, cap) < 0)
        return -1;
    c->retry_max_ms = (unsigned)n;
    if (envconf_number("MUX_MAX_ATTEMPTS", "50", 1, 1000000, &n, err, cap) < 0)
        return -1;
    c->max_attempts = (unsigned)n;
    if (envconf_number("MUX_MAX_AGE_HOURS", "168", 1, 87600, &n, err, cap) < 0)
        return -1;
    c->max_age_s = n * 3600;
    if (envconf_number("MUX_BATCH", "64", 1, 10000, &n, err, cap) < 0)
        return -1;
    c->batch = (unsigned)n;
    if (envconf_number("MUX_FORWARD_NICE", "10", 0, 19, &n, err, cap) < 0)
        return -1;
    c->forward_nice = (unsigned)n;
    return destinations(c, err, cap);
}

static int in(char *const *list, const char *value)
{
    if (!list[0])
        return 1;
    for (; *list; list++)
        if (!strcmp(*list, value))
            return 1;
    return 0;
}

int mux_dest_wants(const struct mux_dest *d, const char *modality, const char *caller, const char *sop_class)
{
    return in(d->modalities, modality) && in(d->callers, caller) && in(d->sop_classes, sop_class);
}
