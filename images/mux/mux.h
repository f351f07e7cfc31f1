/* mux.h: the running cirr-mux: its settings, spool, destination queues,
 * metrics page and counters, shared by the receiving side (receive.c) and
 * the metrics page (metrics.c). One, static, in main.c. */
#ifndef MUX_MUX_H
#define MUX_MUX_H

#include "forward.h"
#include "httpd.h"
#include "muxconf.h"
#include "spool.h"

#include <stdatomic.h>

struct mux {
    struct mux_conf conf;
    struct spool spool;
    struct dest_queue queues[MUX_MAX_DESTS];
    struct httpd httpd;
    /* receiving: C-STORE answers and associations */
    atomic_ullong received, refused_space, refused_other, refused_unrouted, refused_invalid, associations;
};

#endif
