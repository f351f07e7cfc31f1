/* muxconf.c: settings from the environment (see muxconf.h): one table for
 * the service's variables, then one destination per MUX_DEST_<NAME> (and
 * the seed's MOD_WORKSTATION). */
#include "muxconf.h"

#include "envconf.h"
#include "list.h"

#include <stdlib.h>
#include <strings.h>
#include <string.h>

/* In the order they are checked; --help and doc/mux.md list them so. */
static const struct envconf_var mux_vars[] = {
    ENVCONF_TXT("MUX_AET", "CIRRMUX", 16, struct mux_conf, aet, "AE title mux answers as"),
    ENVCONF_NUM("MUX_PORT", "5252", 1, 65535, struct mux_conf, port, "DICOM port"),
    ENVCONF_NUM("MUX_HTTP_PORT", "8081", 0, 65535, struct mux_conf, http_port,
                "port of GET /metrics and /health (0: none)"),
    ENVCONF_NUM("MUX_MAX_ASSOCIATIONS", "32", 1, 1000, struct mux_conf, max_associations,
                "associations at once; more are rejected"),
    ENVCONF_TXT("MUX_SPOOL", "/var/spool/cirr-mux", 0, struct mux_conf, spool,
                "the spool folder (a volume in the image)"),
    ENVCONF_STR("MUX_ALLOW", NULL, struct mux_conf, allow,
                "list the calling AE titles allowed to send (AET1,AET2), or '*' to accept any"),
    ENVCONF_NUM("MUX_MIN_FREE_MB", "1024", 0, 1ull << 30, struct mux_conf, min_free_mb,
                "below this many MiB free on the spool, instances are answered 0xA700"),
    ENVCONF_NUM("MUX_RETRY_BASE_MS", "1000", 10, 3600000, struct mux_conf, retry_base_ms,
                "first retry delay, doubling on each failure"),
    ENVCONF_NUM("MUX_RETRY_MAX_MS", "300000", 10, 86400000, struct mux_conf, retry_max_ms,
                "longest retry delay (and the least time between two warnings of an outage)"),
    ENVCONF_NUM("MUX_MAX_ATTEMPTS", "50", 1, 1000000, struct mux_conf, max_attempts,
                "failed attempts of an instance before it becomes a dead letter"),
    ENVCONF_NUM("MUX_MAX_AGE_HOURS", "168", 1, 87600, struct mux_conf, max_age_hours,
                "an instance that fails when older than this becomes a dead letter"),
    ENVCONF_NUM("MUX_BATCH", "64", 1, 10000, struct mux_conf, batch, "instances per batch on an association"),
    ENVCONF_NUM("MUX_FORWARD_NICE", "10", 0, 19, struct mux_conf, forward_nice,
                "nice value of the forwarding threads, so that receiving gets the CPU first (0: the same)"),
    CIRR_DICOM_SCP_ENV("MUX", struct mux_conf, scp),
};
#define NVARS (sizeof mux_vars / sizeof mux_vars[0])

/* Variables named after each destination: not in the table, but in the
 * same Environment part of --help (no heading of their own ends it). */
static const char per_destination_help[] =
    "  MUX_DEST_<NAME> (at least one, or MOD_WORKSTATION)\n"
    "      a destination: AET,host,port (NAME: letters, digits, '_' and '-')\n"
    "  MOD_WORKSTATION\n"
    "      the seed's form of MUX_DEST_WORKSTATION\n"
    "  MUX_DEST_<NAME>_WORKERS (default 1) [1-16]\n"
    "      parallel associations to the destination\n"
    "  MUX_DEST_<NAME>_MODALITY (default any)\n"
    "      only instances of these modalities (CT,MR)\n"
    "  MUX_DEST_<NAME>_CALLING (default any)\n"
    "      only instances from these calling AE titles\n"
    "  MUX_DEST_<NAME>_SOP_CLASS (default any)\n"
    "      only instances of these SOP Class UIDs\n"
    "  MUX_DEST_<NAME>_ANONYMIZE (default none)\n"
    "      a key file (mode 0600): the destination gets de-identified copies (lib/anon, keyed pseudonyms)\n"
    "  MUX_DEST_<NAME>_ANON_OPTIONS (default none)\n"
    "      with _ANONYMIZE: lib/anon's options, a comma list of dates, characteristics, device,\n"
    "      descriptors, structured-content, uids\n"
    "  MUX_DEST_<NAME>_ANON_RETAIN_DATES (default false)\n"
    "      with _ANONYMIZE: true is _ANON_OPTIONS=dates (the older form)\n"
    "  MUX_DEST_<NAME>_COMPRESS (default none) [jpeg-ls]\n"
    "      send uncompressed images JPEG-LS lossless where the destination accepts it\n";

void mux_conf_help(FILE *out)
{
    envconf_help(out, mux_vars, NVARS);
    fputs(per_destination_help, out);
}

/* MUX_DEST_<NAME>_<SUFFIX> as a list (empty: any). */
static char **filter(const char *name, const char *suffix)
{
    char key[128];
    snprintf(key, sizeof key, "MUX_DEST_%s_%s", name, suffix);
    return list_split(envconf_get(key, ""), ',');
}

static int workers(const char *name, unsigned *out, char *err, size_t cap)
{
    char key[128];
    unsigned long long n;
    snprintf(key, sizeof key, "MUX_DEST_%s_WORKERS", name);
    if (envconf_number(key, "1", 1, MUX_MAX_WORKERS, &n, err, cap) < 0)
        return -1;
    *out = (unsigned)n;
    return 0;
}

/* MUX_DEST_<NAME>_ANON_OPTIONS: lib/anon's options by name; and
 * _ANON_RETAIN_DATES=true, the older form of "dates", still taken. */
static int anonymize_options(const char *name, struct anon_options *o, char *err, size_t cap)
{
    char key[128], bad[64];
    snprintf(key, sizeof key, "MUX_DEST_%s_ANON_OPTIONS", name);
    if (anon_options_parse(envconf_get(key, ""), o, bad, sizeof bad) < 0)
        return envconf_fail(err, cap, "%s: unknown option '%s' (dates, characteristics, device, descriptors, "
                            "structured-content, uids)", key, bad);
    snprintf(key, sizeof key, "MUX_DEST_%s_ANON_RETAIN_DATES", name);
    const char *dates = envconf_get(key, "false");
    int retain = envconf_bool(dates);
    if (retain < 0)
        return envconf_fail(err, cap, "%s=%s: true or false", key, dates);
    o->retain_modified_dates |= retain;
    return 0;
}

/* MUX_DEST_<NAME>_ANONYMIZE: its key, read and checked now (the key
 * never reaches a message, only the file's name). */
static int anonymize(const char *name, struct mux_dest *d, char *err, size_t cap)
{
    char key[128];
    snprintf(key, sizeof key, "MUX_DEST_%s_ANONYMIZE", name);
    const char *path = envconf_get(key, "");
    if (anonymize_options(name, &d->anon_options, err, cap) < 0) /* checked even when unused */
        return -1;
    if (!*path)
        return 0;
    if (!(d->anon_key = malloc(sizeof *d->anon_key)))
        return envconf_fail(err, cap, "%s: out of memory", key);
    char why[512];
    if (anon_key_load(path, d->anon_key, why, sizeof why) < 0)
        return envconf_fail(err, cap, "%s: %s", key, why);
    return 0;
}

/* MUX_DEST_<NAME>_COMPRESS: none, or jpeg-ls. */
static int compress(const char *name, struct mux_dest *d, char *err, size_t cap)
{
    char key[128];
    snprintf(key, sizeof key, "MUX_DEST_%s_COMPRESS", name);
    const char *how = envconf_get(key, "");
    if (*how && strcasecmp(how, "jpeg-ls") && strcasecmp(how, "none"))
        return envconf_fail(err, cap, "%s=%s: 'jpeg-ls' or 'none'", key, how);
    d->compress = !strcasecmp(how, "jpeg-ls");
    return 0;
}

/* The destination var=value names (MUX_DEST_<name>, or MOD_WORKSTATION). */
static int add_dest(struct mux_conf *c, const char *var, const char *name, const char *value, char *err, size_t cap)
{
    if (c->ndests == MUX_MAX_DESTS)
        return envconf_fail(err, cap, "%s: at most %d destinations", var, MUX_MAX_DESTS);
    struct mux_dest *d = &c->dests[c->ndests];
    if (peer_parse(var, name, value, &d->peer, err, cap) < 0 || workers(name, &d->workers, err, cap) < 0)
        return -1;
    for (unsigned i = 0; i < c->ndests; i++)
        if (!strcmp(c->dests[i].peer.name, d->peer.name))
            return envconf_fail(err, cap, "%s: destination %s is declared twice", var, d->peer.name);
    d->modalities = filter(name, "MODALITY");
    d->callers = filter(name, "CALLING");
    d->sop_classes = filter(name, "SOP_CLASS");
    c->ndests++; /* freed by mux_conf_free from now on, whatever follows */
    return anonymize(name, d, err, cap) < 0 ? -1 : compress(name, d, err, cap);
}

/* add_dest for peer_each_env, which passes one pointer through. */
struct dest_env { struct mux_conf *c; char *err; size_t cap; };

static int add_dest_env(const char *var, const char *name, const char *value, void *ud)
{
    struct dest_env *e = ud;
    return add_dest(e->c, var, name, value, e->err, e->cap);
}

/* MUX_DEST_<NAME>_WORKERS and the filters are settings of a destination,
 * not destinations. */
static int is_dest_setting(const char *name)
{
    return strstr(name, "_WORKERS") || strstr(name, "_MODALITY") || strstr(name, "_CALLING") ||
           strstr(name, "_SOP_CLASS") || strstr(name, "_ANONYMIZE") || strstr(name, "_ANON_RETAIN_DATES") ||
           strstr(name, "_ANON_OPTIONS") ||
           strstr(name, "_COMPRESS");
}

static int destinations(struct mux_conf *c, char *err, size_t cap)
{
    struct dest_env e = {c, err, cap};
    err[0] = '\0';
    if (peer_each_env("MUX_DEST_", is_dest_setting, add_dest_env, &e) < 0)
        return *err ? -1 : envconf_fail(err, cap, "MUX_DEST_<NAME>: out of memory");
    const char *ws = envconf_get("MOD_WORKSTATION", NULL);
    if (ws && add_dest(c, "MOD_WORKSTATION", "WORKSTATION", ws, err, cap) < 0)
        return -1;
    if (!c->ndests)
        return envconf_fail(err, cap, "no destination: set MUX_DEST_<NAME>=AET,host,port (or MOD_WORKSTATION)");
    return 0;
}

int mux_conf_load(struct mux_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(mux_vars, NVARS, c, err, cap) < 0)
        return -1;
    c->allow_any = !strcmp(c->allow, "*");
    c->allowed = c->allow_any ? NULL : list_split(c->allow, ',');
    c->min_free_bytes = c->min_free_mb * 1024 * 1024;
    c->max_age_s = (unsigned long long)c->max_age_hours * 3600;
    return destinations(c, err, cap);
}

void mux_conf_free(struct mux_conf *c)
{
    list_free(c->allowed);
    for (unsigned i = 0; i < c->ndests; i++) {
        list_free(c->dests[i].modalities);
        list_free(c->dests[i].callers);
        list_free(c->dests[i].sop_classes);
        if (c->dests[i].anon_key)
            explicit_bzero(c->dests[i].anon_key, sizeof *c->dests[i].anon_key);
        free(c->dests[i].anon_key);
        c->dests[i].anon_key = NULL;
    }
    c->allowed = NULL;
    c->ndests = 0;
}
