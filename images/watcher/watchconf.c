/* watchconf.c: settings from the environment (see watchconf.h): one table
 * for the service's variables, the routes (WATCH_ROUTES or a file), the
 * PACS peer and the secrets. */
#include "watchconf.h"

#include "envconf.h"
#include "secrets.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* In the order they are checked; --help and doc/watcher.md list them so. */
static const struct envconf_var watch_vars[] = {
    ENVCONF_NUM("WATCH_HTTP_PORT", "8083", 0, 65535, struct watch_conf, http_port,
                "port of GET /metrics and /health (0: none)"),
    ENVCONF_TXT("WATCH_STATE", "/var/lib/cirr-watcher", 200, struct watch_conf, state,
                "the state folder (cursors, outbox, dead letters; a volume in the image)"),
    ENVCONF_STR("WATCH_ROUTES", "index_series", struct watch_conf, routes_text,
                "routes, separated by ';': built-in names or NAME: SOURCE [where K=V] -> index:INDEX"),
    ENVCONF_STR("WATCH_ROUTES_FILE", "", struct watch_conf, routes_file,
                "a file of routes, one a line ('#' comments); replaces WATCH_ROUTES"),
    ENVCONF_STR("WATCH_ORTHANC_URL", "http://orthanc:8042", struct watch_conf, orthanc_url,
                "Orthanc's REST API, for the orthanc:* sources"),
    ENVCONF_STR("WATCH_ORTHANC_USER", "", struct watch_conf, orthanc_user,
                "Orthanc user (password: WATCH_ORTHANC_PASSWORD[_FILE]); empty: no authentication"),
    ENVCONF_NUM("WATCH_ORTHANC_POLL_MS", "500", 10, 3600000, struct watch_conf, poll_ms,
                "wait between two reads of /changes once caught up"),
    ENVCONF_NUM("WATCH_ORTHANC_PAGE", "500", 1, 10000, struct watch_conf, page,
                "changes read per request of /changes"),
    ENVCONF_NUM("WATCH_ORTHANC_PARALLEL", "4", 1, 32, struct watch_conf, parallel,
                "requests to Orthanc in flight at once (tag reads, or chunks of a bulk read)"),
    ENVCONF_STR("WATCH_ORTHANC_TAGS", "full", struct watch_conf, orthanc_tags,
                "instances' tags: 'full' (each file's, as DIANA) or 'main' (Orthanc's index, much faster)"),
    ENVCONF_STR("WATCH_HEC_URL", "", struct watch_conf, hec_url,
                "Splunk HEC base URL (https://splunk:8088); empty: no Splunk sink"),
    ENVCONF_STR("WATCH_HEC_CA", "", struct watch_conf, hec_ca,
                "CA bundle that verifies HEC's certificate (empty: the system's)"),
    ENVCONF_BOOL("WATCH_HEC_INSECURE", "false", struct watch_conf, hec_insecure,
                 "do not verify HEC's certificate (must be set explicitly)"),
    ENVCONF_BOOL("WATCH_HEC_ACK", "false", struct watch_conf, hec_ack,
                 "use indexer acknowledgement: a batch leaves the outbox once acknowledged"),
    ENVCONF_NUM("WATCH_HEC_ACK_TIMEOUT_S", "120", 1, 86400, struct watch_conf, ack_timeout_s,
                "a batch not acknowledged within this is sent again"),
    ENVCONF_STR("WATCH_HEC_HOST", "", struct watch_conf, hec_host,
                "the events' host field (empty: this host's name)"),
    ENVCONF_STR("WATCH_HEC_SOURCETYPE", "_json", struct watch_conf, hec_sourcetype,
                "the events' sourcetype field"),
    ENVCONF_NUM("WATCH_BATCH_EVENTS", "500", 1, 100000, struct watch_conf, batch_events,
                "events in one batch (one HEC request, one PostgreSQL transaction) at most"),
    ENVCONF_NUM("WATCH_BATCH_KB", "1024", 1, 102400, struct watch_conf, batch_kb,
                "KiB in one batch at most (an event larger than this goes alone)"),
    ENVCONF_STR("WATCH_PG", "", struct watch_conf, pg,
                "PostgreSQL conninfo (host=... dbname=... user=...); empty: no PostgreSQL sink"),
    ENVCONF_NUM("WATCH_OUTBOX_MB", "512", 1, 1ull << 30, struct watch_conf, outbox_mb,
                "MiB a sink's outbox may hold; sources wait when one is full"),
    ENVCONF_NUM("WATCH_RETRY_BASE_MS", "500", 10, 3600000, struct watch_conf, retry_base_ms,
                "first retry delay after a sink or source failed, doubling on each failure"),
    ENVCONF_NUM("WATCH_RETRY_MAX_MS", "30000", 10, 86400000, struct watch_conf, retry_max_ms,
                "longest retry delay"),
    ENVCONF_NUM("WATCH_HTTP_TIMEOUT_S", "30", 1, 3600, struct watch_conf, http_timeout_s,
                "one HTTP request to Orthanc or HEC at most"),
    ENVCONF_TXT("WATCH_AET", "CIRRWATCH", 16, struct watch_conf, aet, "our AE title towards the PACS"),
    ENVCONF_STR("WATCH_PACS", "", struct watch_conf, pacs,
                "the PACS (or bridge) as AET,host,port, for the pacs source (default: MOD_PACS)"),
    ENVCONF_NUM("WATCH_PACS_INTERVAL_S", "300", 1, 86400, struct watch_conf, pacs_interval_s,
                "wait between two sweeps of the PACS"),
    ENVCONF_NUM("WATCH_PACS_LOOKBACK_MIN", "1440", 1, 5256000, struct watch_conf, pacs_lookback_min,
                "how far back the first sweep starts"),
    ENVCONF_NUM("WATCH_PACS_OVERLAP_MIN", "60", 0, 525600, struct watch_conf, pacs_overlap_min,
                "each sweep starts this long before the checkpoint (late arrivals)"),
    ENVCONF_NUM("WATCH_PACS_MAX_ANSWERS", "500", 2, 1000000, struct watch_conf, pacs_max_answers,
                "the PACS's answer cap: a window with this many answers is split and asked again"),
    ENVCONF_TXT("WATCH_UPLOAD_DIR", "/var/lib/cirr-watcher/incoming", 0, struct watch_conf, upload_dir,
                "the folder of the upload_files route"),
    ENVCONF_NUM("WATCH_UPLOAD_QUIET_S", "5", 1, 86400, struct watch_conf, upload_quiet_s,
                "a file is sent once it has not changed for this long"),
};
#define NVARS (sizeof watch_vars / sizeof watch_vars[0])

/* The secrets: not in the table (their values must never be printed or
 * kept in the environment's copy), but in the same Environment part. */
static const char secrets_help[] =
    "  WATCH_HEC_TOKEN (or WATCH_HEC_TOKEN_FILE, SPLUNK_HEC_TOKEN, SPLUNK_HEC_TOKEN_FILE)\n"
    "      the HEC token (secret): required with WATCH_HEC_URL\n"
    "  WATCH_ORTHANC_PASSWORD (or WATCH_ORTHANC_PASSWORD_FILE, ORTHANC_PASSWORD, ORTHANC_PASSWORD_FILE)\n"
    "      Orthanc's password (secret), with WATCH_ORTHANC_USER\n"
    "  WATCH_PG_PASSWORD (or WATCH_PG_PASSWORD_FILE, POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE)\n"
    "      PostgreSQL's password (secret), with WATCH_PG\n";

void watch_conf_help(FILE *out)
{
    envconf_help(out, watch_vars, NVARS);
    fputs(secrets_help, out);
}

static int add_route(struct watch_conf *c, const char *text, char *err, size_t cap)
{
    if (c->nroutes == WATCH_MAX_ROUTES)
        return envconf_fail(err, cap, "WATCH_ROUTES: at most %d routes", WATCH_MAX_ROUTES);
    struct route *r = &c->routes[c->nroutes];
    if (route_parse(text, c->upload_dir, r, err, cap) < 0) {
        route_free(r);
        return -1;
    }
    c->nroutes++;
    for (unsigned i = 0; i + 1 < c->nroutes; i++)
        if (!strcmp(c->routes[i].name, r->name))
            return envconf_fail(err, cap, "WATCH_ROUTES: route %s is declared twice", r->name);
    return 0;
}

/* Split text at sep (and newlines); lines starting with '#' are comments. */
static int add_routes(struct watch_conf *c, char *text, char sep, char *err, size_t cap)
{
    char seps[3] = {sep, '\n', '\0'}, *save = NULL;
    for (char *item = strtok_r(text, seps, &save); item; item = strtok_r(NULL, seps, &save)) {
        item += strspn(item, " \t\r");
        if (!*item || *item == '#')
            continue;
        if (add_route(c, item, err, cap) < 0)
            return -1;
    }
    if (!c->nroutes)
        return envconf_fail(err, cap, "WATCH_ROUTES: no route");
    return 0;
}

static int routes(struct watch_conf *c, char *err, size_t cap)
{
    char *text;
    if (*c->routes_file) {
        if (secrets_read_file(c->routes_file, &text) < 0)
            return envconf_fail(err, cap, "WATCH_ROUTES_FILE: cannot read %s", c->routes_file);
    } else {
        text = strdup(c->routes_text);
        if (!text)
            return envconf_fail(err, cap, "WATCH_ROUTES: out of memory");
    }
    int rc = add_routes(c, text, ';', err, cap);
    free(text);
    return rc;
}

int watch_indexes(const struct watch_conf *c)
{
    for (unsigned i = 0; i < c->nroutes; i++)
        if (c->routes[i].source != SOURCE_FOLDER)
            return 1;
    return 0;
}

int watch_uses_pacs(const struct watch_conf *c)
{
    for (unsigned i = 0; i < c->nroutes; i++)
        if (c->routes[i].source == SOURCE_PACS)
            return 1;
    return 0;
}

/* The sinks, the PACS and the secrets that the routes need. */
static int peers_and_secrets(struct watch_conf *c, char *err, size_t cap)
{
    if (!*c->hec_url && !*c->pg && watch_indexes(c))
        return envconf_fail(err, cap, "no sink: set WATCH_HEC_URL or WATCH_PG (or both)");
    if (*c->hec_url && strncmp(c->hec_url, "http://", 7) && strncmp(c->hec_url, "https://", 8))
        return envconf_fail(err, cap, "WATCH_HEC_URL: expected http:// or https://, got '%.80s'", c->hec_url);
    if (strncmp(c->orthanc_url, "http://", 7) && strncmp(c->orthanc_url, "https://", 8))
        return envconf_fail(err, cap, "WATCH_ORTHANC_URL: expected http:// or https://");
    if (strcmp(c->orthanc_tags, "full") && strcmp(c->orthanc_tags, "main"))
        return envconf_fail(err, cap, "WATCH_ORTHANC_TAGS: expected 'full' or 'main', got '%.40s'", c->orthanc_tags);
    c->orthanc_main_tags = !strcmp(c->orthanc_tags, "main");
    if (*c->hec_ca && access(c->hec_ca, R_OK) < 0)
        return envconf_fail(err, cap, "WATCH_HEC_CA: cannot read %.200s", c->hec_ca);
    if (strlen(c->orthanc_url) > 500 || strlen(c->hec_url) > 400)
        return envconf_fail(err, cap, "WATCH_ORTHANC_URL or WATCH_HEC_URL: longer than 500 or 400 characters");
    if (secrets_load(c, err, cap) < 0)
        return -1;
    if (*c->hec_url && !c->hec_token)
        return envconf_fail(err, cap, "WATCH_HEC_TOKEN (or WATCH_HEC_TOKEN_FILE) is not set, and WATCH_HEC_URL is");
    if (!watch_uses_pacs(c))
        return 0;
    const char *pacs = *c->pacs ? c->pacs : envconf_get("MOD_PACS", "");
    if (!*pacs)
        return envconf_fail(err, cap, "WATCH_PACS (or MOD_PACS) is not set, and a route watches the PACS");
    return peer_parse(*c->pacs ? "WATCH_PACS" : "MOD_PACS", "PACS", pacs, &c->pacs_peer, err, cap);
}

int watch_conf_load(struct watch_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(watch_vars, NVARS, c, err, cap) < 0 || routes(c, err, cap) < 0)
        return -1;
    return peers_and_secrets(c, err, cap);
}

void watch_conf_free(struct watch_conf *c)
{
    for (unsigned i = 0; i < c->nroutes; i++)
        route_free(&c->routes[i]);
    c->nroutes = 0;
    secrets_free(c);
}
