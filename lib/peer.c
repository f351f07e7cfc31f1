/* peer.c: see peer.h. */
#include "peer.h"

#include "envconf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static int valid_name(const char *name)
{
    if (!*name || strlen(name) >= sizeof ((struct peer *)0)->name)
        return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return 0;
    return 1;
}

int peer_parse(const char *var, const char *name, const char *value, struct peer *out, char *err,
               size_t cap)
{
    char aet[64];
    struct peer p;
    memset(&p, 0, sizeof p);
    if (sscanf(value, "%63[^,],%127[^,],%u", aet, p.host, &p.port) != 3 || !p.port || p.port > 65535 ||
        !*aet || strlen(aet) > 16)
        return envconf_fail(err, cap, "%s: expected 'AET,host,port' (AE title of 1 to 16 characters, port 1 to 65535)", var);
    if (!valid_name(name))
        return envconf_fail(err, cap, "%s: peer names are 1 to 31 letters, digits, '_' and '-'", var);
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.aet, sizeof p.aet, "%.16s", aet); /* length checked above */
    *out = p;
    return 0;
}

int peer_each_env(const char *prefix, int (*skip)(const char *name),
                  int (*fn)(const char *var, const char *name, const char *value, void *ud), void *ud)
{
    size_t plen = strlen(prefix);
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, prefix, plen) != 0 || (size_t)(eq - *e) >= 128)
            continue;
        char var[128];
        snprintf(var, sizeof var, "%.*s", (int)(eq - *e), *e);
        const char *name = var + plen;
        if (skip && skip(name))
            continue;
        if (fn(var, name, eq + 1, ud) < 0)
            return -1;
    }
    return 0;
}
