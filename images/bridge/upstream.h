/* upstream.h: associations to the upstream PACS, each holding a throttle
 * slot for as long as it is open. The bridge calls as its own AE title.
 * An association whose request ended well is kept open for the next
 * request (BRIDGE_UPSTREAM_IDLE seconds at most, and only while nobody
 * waits for a slot): opening one costs more than a C-FIND. */
#ifndef BRIDGE_UPSTREAM_H
#define BRIDGE_UPSTREAM_H

#include "cirr_dicom.h"

#include <pthread.h>
#include <stdint.h>

#define UPSTREAM_MAX_IDLE 64

/* The associations kept open between requests, each holding its slot. */
struct upstream_pool {
    pthread_mutex_t mu;
    cirr_dicom_scu *idle[UPSTREAM_MAX_IDLE];
    uint64_t since[UPSTREAM_MAX_IDLE]; /* monotonic ms */
    unsigned n;
    uint64_t spare_refused_until; /* monotonic ms: no new second association before */
};

struct bridge;

/* Wait for a slot (fair queue) at most wait_ms and open an association
 * proposing the FIND and MOVE models of both roots. 0x0000 with *out set, or the status
 * to answer the caller with (0xA700: no slot in time; 0xA702 for a move
 * or 0xC000 for a find: the upstream cannot be reached), logged. what
 * ("C-FIND", "C-MOVE", "C-GET") names the request in the log. */
uint16_t upstream_open(struct bridge *b, const char *caller, const char *what, unsigned wait_ms,
                       cirr_dicom_scu **out);

/* A second association for a request that holds one already, only when
 * one is at hand: idle in the pool, or a slot free with nobody waiting
 * (and the pool on, so that it is kept for the next request). Never
 * waits for a slot: two requests each holding one and waiting for a
 * second would wait for each other. NULL when none. */
cirr_dicom_scu *upstream_spare(struct bridge *b);

/* Done with the association: kept for the next request when reusable
 * (the request ended well), else released with its slot. */
void upstream_close(struct bridge *b, cirr_dicom_scu *scu, int reusable);

/* Release the associations idle for longer than BRIDGE_UPSTREAM_IDLE
 * (all of them when all is 1, or when a request waits for a slot). */
void upstream_reap(struct bridge *b, int all);

/* The FIND model of a root's MOVE or GET model (or the FIND model
 * itself); NULL when sop_class is none of them. */
const char *upstream_find_model(const char *sop_class);
/* The MOVE model of the same root; NULL likewise. */
const char *upstream_move_model(const char *sop_class);

#endif
