/* pullconf.h: cirr-pull's own settings (PULL_*); the de-identification's
 * are cirr-anon's (ANON_*, anonconf.h). */
#ifndef CIRR_PULL_PULLCONF_H
#define CIRR_PULL_PULLCONF_H

#include "peer.h"

#include <stdio.h>

struct pull_conf {
    const char *source_name; /* PULL_SOURCE: the MOD_<NAME> to query and retrieve from */
    char aet[17];            /* PULL_AET: ours */
    const char *dest_name;   /* PULL_DEST: a MOD_<NAME> to send to; "" = the folder only */
    unsigned timeout;        /* PULL_TIMEOUT, seconds */
    unsigned parallel;       /* PULL_PARALLEL: rows (studies) in flight at once */
    const char *retrieve;    /* PULL_RETRIEVE: "get" or "move" */
    unsigned port;           /* PULL_PORT: where the C-MOVE's C-STOREs arrive (move only) */
    int move;                /* 1: PULL_RETRIEVE=move */
    struct peer source, dest;
    int has_dest;
};

/* 0, or -1 with one line in err naming the variable at fault. */
int pull_conf_load(struct pull_conf *c, char *err, size_t cap);
void pull_conf_help(FILE *out);

#endif
