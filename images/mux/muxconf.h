/* muxconf.h: cirr-mux settings, from the environment (doc/mux.md). */
#ifndef MUX_CONF_H
#define MUX_CONF_H

#include "anon/anon.h"
#include "cirr_dicom_scp_env.h"
#include "peer.h"

#include <stddef.h>
#include <stdio.h>

#define MUX_MAX_DESTS 16
#define MUX_MAX_WORKERS 16

/* MUX_DEST_<NAME>=AET,host,port and its _WORKERS and filters. */
struct mux_dest {
    struct peer peer;   /* name, AE title, host, port */
    unsigned workers;
    char **modalities;  /* filters, from list_split: empty ({NULL}) = any */
    char **callers;
    char **sop_classes;
    /* transforms on the way to it (transform.c) */
    struct anon_key *anon_key; /* MUX_DEST_<NAME>_ANONYMIZE's key; NULL: the originals */
    struct anon_options anon_options; /* the Basic Profile, with _ANON_OPTIONS (_ANON_RETAIN_DATES) */
    int compress;              /* MUX_DEST_<NAME>_COMPRESS=jpeg-ls */
};

struct mux_conf {
    /* from the table (muxconf.c), as given */
    char aet[17];
    unsigned port, http_port, max_associations;
    char spool[256];
    const char *allow;          /* MUX_ALLOW */
    unsigned long long min_free_mb;
    unsigned retry_base_ms, retry_max_ms, max_attempts;
    unsigned max_age_hours;
    unsigned batch;
    unsigned forward_nice; /* workers' nice value: receiving goes first */
    struct cirr_dicom_scp_env scp; /* MUX_IDLE_TIMEOUT ... MUX_MAX_NESTING: against broken peers */
    /* derived from them after loading */
    char **allowed;             /* calling AE titles; NULL when allow_any */
    int allow_any;              /* MUX_ALLOW=* */
    unsigned long long min_free_bytes, max_age_s;
    /* the destinations */
    struct mux_dest dests[MUX_MAX_DESTS];
    unsigned ndests;
};

/* Read and check everything; 0, or -1 with one line in err naming the
 * variable at fault. Free with mux_conf_free (also after a failure). */
int mux_conf_load(struct mux_conf *c, char *err, size_t cap);
void mux_conf_free(struct mux_conf *c);

/* The "Environment" part of --help: the table, then the per-destination
 * variables. */
void mux_conf_help(FILE *out);

#endif
