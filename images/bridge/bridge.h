/* bridge.h: the running bridge's state, shared by its threads. */
#ifndef BRIDGE_H
#define BRIDGE_H

#include "apijobs.h"
#include "bridgeconf.h"
#include "cache.h"
#include "httpd.h"
#include "jobs.h"
#include "stats.h"
#include "throttle.h"
#include "upstream.h"

struct bridge {
    struct bridge_conf conf;
    struct throttle throttle;  /* upstream associations */
    struct upstream_pool pool; /* those open between requests */
    struct jobs jobs;          /* retrieves waiting for the upstream's C-STOREs */
    struct stats stats;
    struct cache cache;        /* when conf.cache_mb */
    struct httpd httpd;
    struct apijobs apijobs;    /* retrieves started over HTTP */
    cirr_dicom_scp *scp;       /* the DICOM port */
    pthread_t scp_runner;      /* its thread */
};

#endif
