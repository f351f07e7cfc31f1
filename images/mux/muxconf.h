/* muxconf.h: cirr-mux settings, from the environment (doc/mux.md). */
#ifndef MUX_CONF_H
#define MUX_CONF_H

#include <stddef.h>

#define MUX_MAX_DESTS 16
#define MUX_MAX_FILTER 16

struct mux_dest {
    char name[32];
    char aet[17];
    char host[128];
    unsigned port;
    unsigned workers;
    char *modalities[MUX_MAX_FILTER];   /* NULL-terminated; empty = any */
    char *callers[MUX_MAX_FILTER];
    char *sop_classes[MUX_MAX_FILTER];
};

struct mux_conf {
    char aet[17];
    unsigned port, http_port, max_associations;
    char spool[256];
    char *allowed[64];          /* calling AE titles; allow_any when "*" */
    int allow_any;
    unsigned long long min_free_bytes;
    unsigned retry_base_ms, retry_max_ms, max_attempts;
    unsigned long long max_age_s;
    unsigned batch;
    unsigned forward_nice; /* workers' nice value: receiving goes first */
    struct mux_dest dests[MUX_MAX_DESTS];
    unsigned ndests;
};

/* Read and check everything; 0, or -1 with one line in err naming the
 * variable at fault. */
int mux_conf_load(struct mux_conf *c, char *err, size_t cap);

/* Does an instance pass dest's filters? */
int mux_dest_wants(const struct mux_dest *d, const char *modality, const char *caller, const char *sop_class);

#endif
