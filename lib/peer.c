/* peer.c: see peer.h. */
#include "peer.h"

#include "envconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A port from 1 to 65535 in decimal, blanks around it allowed (an env
 * file's trailing space), nothing else: "104x", "-1" and "1 04" are not. */
static int parse_port(const char *s, unsigned *out)
{
    s += strspn(s, " \t");
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    end += strspn(end, " \t");
    if (*end || errno || n < 1 || n > 65535)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int peer_parse(const char *var, const char *name, const char *value, struct peer *out, char *err,
               size_t cap)
{
    char aet[64];
    int port_at = -1;
    struct peer p;
    memset(&p, 0, sizeof p);
    if (sscanf(value, "%63[^,],%127[^,],%n", aet, p.host, &port_at) != 2 || port_at < 0 ||
        parse_port(value + port_at, &p.port) < 0 || strlen(aet) > 16)
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
        if (!eq || strncmp(*e, prefix, plen) != 0)
            continue;
        /* any length: a name too long for a peer is fn's to refuse by name */
        char *var = strndup(*e, (size_t)(eq - *e));
        if (!var)
            return -1;
        int rc = skip && skip(var + plen) ? 0 : fn(var, var + plen, eq + 1, ud);
        free(var);
        if (rc < 0)
            return -1;
    }
    return 0;
}
