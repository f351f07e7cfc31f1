/* bridgeconf.h: cirr-bridge settings, from the environment (doc/bridge.md). */
#ifndef BRIDGE_CONF_H
#define BRIDGE_CONF_H

#include "peer.h"

#include <stdio.h>

#define BRIDGE_MAX_PEERS 64

struct bridge_conf {
    /* from the table (bridgeconf.c), as given */
    char aet[17];
    unsigned port, http_port;
    char upstream_name[32];      /* BRIDGE_UPSTREAM: a MOD_<NAME> */
    const char *allow;           /* BRIDGE_ALLOW */
    unsigned max_upstream;       /* concurrent associations to the upstream */
    unsigned upstream_idle_s;    /* an idle upstream association kept this long */
    unsigned timeout_s;          /* from the last progress of a request */
    unsigned queue_timeout_s;    /* longest wait for an upstream association */
    unsigned max_associations;   /* callers' and the upstream's at once */
    unsigned window;             /* instances held in memory per retrieve */
    unsigned upstream_nice;      /* of the upstream's store threads and the movers */
    unsigned long long cache_mb; /* 0: no cache */
    char cache_dir[200];
    /* derived */
    char **allowed;              /* calling AE titles; NULL when allow_any */
    int allow_any;
    const char **scp_allowed;    /* for the SCP: allowed plus the upstream's AE title; NULL = any */
    struct peer peers[BRIDGE_MAX_PEERS]; /* MOD_<NAME> */
    unsigned npeers;
    const struct peer *upstream; /* one of peers */
};

/* Read and check everything; 0, or -1 with one line in err naming the
 * variable at fault. Free with bridge_conf_free (also after a failure). */
int bridge_conf_load(struct bridge_conf *c, char *err, size_t cap);
void bridge_conf_free(struct bridge_conf *c);

/* The peer whose AE title is aet (a C-MOVE destination), or NULL. */
const struct peer *bridge_peer_by_aet(const struct bridge_conf *c, const char *aet);

/* The MOD_<name> peer other than the upstream (a destination for the
 * query page), or NULL. */
const struct peer *bridge_destination_named(const struct bridge_conf *c, const char *name);

/* May this calling AE title, from host, query and retrieve? 1 or 0. The
 * bridge's own AE title is the query page's (api_jobs.c): from loopback only. */
int bridge_caller_allowed(const struct bridge_conf *c, const char *aet, const char *host);

/* The "Environment" part of --help. */
void bridge_conf_help(FILE *out);

#endif
