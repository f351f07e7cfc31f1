/* pullconf.c: cirr-pull's environment table and its two peers. */
#include "pullconf.h"

#include "envconf.h"

#include <stdlib.h>
#include <string.h>

/* Rows over struct pull_conf. */
#define NUM(name, def, lo, hi, field, meaning) ENVCONF_NUM(name, def, lo, hi, struct pull_conf, field, meaning)
#define TXT(name, def, max, field, meaning) ENVCONF_TXT(name, def, max, struct pull_conf, field, meaning)
#define STR(name, def, field, meaning) ENVCONF_STR(name, def, struct pull_conf, field, meaning)

static const struct envconf_var table[] = {
    STR("PULL_SOURCE", NULL, source_name,
        "NAME of the Q/R peer MOD_<NAME>=AET,host,port that is queried (C-FIND) and retrieved from"),
    TXT("PULL_AET", "CIRRPULL", 16, aet, "our AE title"),
    STR("PULL_DEST", "", dest_name,
        "NAME of a MOD_<NAME> peer that gets the de-identified instances (C-STORE); empty: the folder only"),
    NUM("PULL_PARALLEL", "2", 1, 32, parallel,
        "worklist rows pulled at once (each its own associations); keep within what the source allows"),
    NUM("PULL_TIMEOUT", "60", 1, 3600, timeout, "seconds a peer may take to answer one message"),
    STR("PULL_RETRIEVE", "get", retrieve,
        "'get': C-GET, the instances on our own association; 'move': C-MOVE to PULL_AET, which the "
        "source must know as a MOD_<NAME> with our host and PULL_PORT"),
    NUM("PULL_PORT", "11112", 1, 65535, port,
        "with PULL_RETRIEVE=move: the port our C-STORE SCP listens on (only the source's AE title may store)"),
};

void pull_conf_help(FILE *out) { envconf_help(out, table, sizeof table / sizeof table[0]); }

static int load_peer(const char *setting, const char *name, struct peer *p, char *err, size_t cap)
{
    char var[64];
    snprintf(var, sizeof var, "MOD_%s", name);
    const char *value = getenv(var);
    if (!value || !*value)
        return envconf_fail(err, cap, "%s=%s names %s, which is not set", setting, name, var);
    return peer_parse(var, name, value, p, err, cap);
}

int pull_conf_load(struct pull_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(table, sizeof table / sizeof table[0], c, err, cap) < 0)
        return -1;
    if (load_peer("PULL_SOURCE", c->source_name, &c->source, err, cap) < 0)
        return -1;
    if (strcmp(c->retrieve, "get") && strcmp(c->retrieve, "move"))
        return envconf_fail(err, cap, "PULL_RETRIEVE: expected 'get' or 'move', got '%s'", c->retrieve);
    c->move = !strcmp(c->retrieve, "move");
    c->has_dest = *c->dest_name != '\0';
    return c->has_dest ? load_peer("PULL_DEST", c->dest_name, &c->dest, err, cap) : 0;
}
