/* bridgeconf.c: settings from the environment (see bridgeconf.h): one
 * table for the service's variables, then the peers (MOD_<NAME>). */
#include "bridgeconf.h"

#include "envconf.h"
#include "list.h"

#include <stdlib.h>
#include <string.h>

/* The table's rows, all filling struct bridge_conf. */
#define NUM(name, def, lo, hi, field, meaning) ENVCONF_NUM(name, def, lo, hi, struct bridge_conf, field, meaning)
#define TXT(name, def, max, field, meaning) ENVCONF_TXT(name, def, max, struct bridge_conf, field, meaning)
#define STR(name, def, field, meaning) ENVCONF_STR(name, def, struct bridge_conf, field, meaning)

/* In the order they are checked; --help and doc/bridge.md list them so. */
static const struct envconf_var bridge_vars[] = {
    TXT("BRIDGE_AET", "BRIDGE", 16, aet, "AE title the bridge answers as and calls the upstream as"),
    TXT("BRIDGE_UPSTREAM", "PACS", 31, upstream_name, "the MOD_<NAME> peer queried and retrieved from"),
    STR("BRIDGE_ALLOW", NULL, allow,
        "list the calling AE titles allowed to query and retrieve (AET1,AET2), or '*' for any"),
    NUM("BRIDGE_PORT", "6262", 1, 65535, port, "DICOM port"),
    NUM("BRIDGE_HTTP_PORT", "8082", 0, 65535, http_port, "port of /health, /metrics and the JSON API (0: none)"),
    NUM("BRIDGE_MAX_UPSTREAM", "4", 1, 64, max_upstream,
        "associations to the upstream at once; more requests wait in a fair queue"),
    NUM("BRIDGE_UPSTREAM_IDLE", "10", 0, 3600, upstream_idle_s,
        "seconds an upstream association is kept open for the next request (0: closed at once; "
        "a retrieve then lists before it moves, on one association)"),
    NUM("BRIDGE_TIMEOUT", "60", 1, 86400, timeout_s, "seconds a request may go without progress before it fails"),
    NUM("BRIDGE_QUEUE_TIMEOUT", "600", 1, 86400, queue_timeout_s,
        "seconds a request may wait for an upstream association before it is refused (0xA700)"),
    NUM("BRIDGE_MAX_ASSOCIATIONS", "64", 2, 1000, max_associations,
        "associations to the bridge at once (callers and the upstream's stores); more are rejected"),
    NUM("BRIDGE_WINDOW", "32", 1, 10000, window, "instances a retrieve holds in memory on their way"),
    NUM("BRIDGE_UPSTREAM_NICE", "10", 0, 19, upstream_nice,
        "nice value of the threads taking in the upstream's instances and answers, so that handing them on "
        "gets the CPU first (0: the same)"),
    NUM("BRIDGE_CACHE_MB", "0", 0, 1ull << 30, cache_mb,
        "MiB of studies kept on disk as they pass, least recently used evicted first (0: no cache)"),
    TXT("BRIDGE_CACHE_DIR", "/var/cache/cirr-bridge", 0, cache_dir, "the cache's folder (a volume in the image)"),
};
#define NVARS (sizeof bridge_vars / sizeof bridge_vars[0])

static const char per_peer_help[] =
    "  MOD_<NAME> (at least the BRIDGE_UPSTREAM one)\n"
    "      a peer: AET,host,port: the upstream, and the C-MOVE destinations callers may name\n";

void bridge_conf_help(FILE *out)
{
    envconf_help(out, bridge_vars, NVARS);
    fputs(per_peer_help, out);
}

struct peer_env { struct bridge_conf *c; char *err; size_t cap; };

static int add_peer(const char *var, const char *name, const char *value, void *ud)
{
    struct peer_env *e = ud;
    struct bridge_conf *c = e->c;
    if (c->npeers == BRIDGE_MAX_PEERS)
        return envconf_fail(e->err, e->cap, "%s: at most %d MOD_<NAME> peers", var, BRIDGE_MAX_PEERS);
    struct peer *p = &c->peers[c->npeers];
    if (peer_parse(var, name, value, p, e->err, e->cap) < 0)
        return -1;
    for (unsigned i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].aet, p->aet))
            return envconf_fail(e->err, e->cap, "%s: AE title %s is also MOD_%s's", var, p->aet, c->peers[i].name);
    c->npeers++;
    return 0;
}

static int peers(struct bridge_conf *c, char *err, size_t cap)
{
    struct peer_env e = {c, err, cap};
    err[0] = '\0';
    if (peer_each_env("MOD_", NULL, add_peer, &e) < 0)
        return *err ? -1 : envconf_fail(err, cap, "MOD_<NAME>: out of memory");
    for (unsigned i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].name, c->upstream_name))
            c->upstream = &c->peers[i];
    if (!c->upstream)
        return envconf_fail(err, cap, "BRIDGE_UPSTREAM: no MOD_%s=AET,host,port names the upstream", c->upstream_name);
    return 0;
}

/* The SCP admits the callers, the upstream (whose C-STOREs answer our
 * C-MOVEs) and the bridge itself (the query page's retrieves); which of
 * them may do what is checked per service. */
static void scp_allowed(struct bridge_conf *c)
{
    if (c->allow_any)
        return;
    size_t n = list_len(c->allowed);
    c->scp_allowed = calloc(n + 3, sizeof *c->scp_allowed);
    if (!c->scp_allowed)
        abort();
    for (size_t i = 0; i < n; i++)
        c->scp_allowed[i] = c->allowed[i];
    c->scp_allowed[n] = c->upstream->aet;
    c->scp_allowed[n + 1] = c->aet; /* the query page's retrieves (loopback only) */
}

int bridge_conf_load(struct bridge_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(bridge_vars, NVARS, c, err, cap) < 0)
        return -1;
    c->allow_any = !strcmp(c->allow, "*");
    if (!c->allow_any) {
        c->allowed = list_split(c->allow, ',');
        for (char **a = c->allowed; *a; a++)
            if (strlen(*a) > 16)
                return envconf_fail(err, cap, "BRIDGE_ALLOW: '%.40s' is longer than an AE title (16)", *a);
        if (!*c->allowed)
            return envconf_fail(err, cap, "BRIDGE_ALLOW: no AE title (use '*' to accept any)");
    }
    if (peers(c, err, cap) < 0)
        return -1;
    if (!strcmp(c->upstream->aet, c->aet))
        return envconf_fail(err, cap, "MOD_%s: the upstream cannot have the bridge's own AE title", c->upstream->name);
    scp_allowed(c);
    return 0;
}

void bridge_conf_free(struct bridge_conf *c)
{
    list_free(c->allowed);
    free(c->scp_allowed);
    c->allowed = NULL;
    c->scp_allowed = NULL;
}

const struct peer *bridge_peer_by_aet(const struct bridge_conf *c, const char *aet)
{
    for (unsigned i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].aet, aet))
            return &c->peers[i];
    return NULL;
}

const struct peer *bridge_destination_named(const struct bridge_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].name, name) && &c->peers[i] != c->upstream)
            return &c->peers[i];
    return NULL;
}

int bridge_caller_allowed(const struct bridge_conf *c, const char *aet, const char *host)
{
    if (!strcmp(aet, c->aet))
        return !strcmp(host, "127.0.0.1");
    return c->allow_any || list_contains(c->allowed, aet);
}
