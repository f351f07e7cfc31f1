/* upstream.h: associations to the upstream PACS, each holding a throttle
 * slot for as long as it is open. The bridge calls as its own AE title. */
#ifndef BRIDGE_UPSTREAM_H
#define BRIDGE_UPSTREAM_H

#include "cirr_dicom.h"

#include <stdint.h>

struct bridge;

/* Wait for a slot (fair queue) at most wait_ms and open an association
 * proposing the FIND and MOVE models of both roots. 0x0000 with *out set, or the status
 * to answer the caller with (0xA700: no slot in time; 0xA702 for a move
 * or 0xC000 for a find: the upstream cannot be reached), logged. what
 * ("C-FIND", "C-MOVE", "C-GET") names the request in the log. */
uint16_t upstream_open(struct bridge *b, const char *caller, const char *what, unsigned wait_ms,
                       cirr_dicom_scu **out);

/* Release the association and its slot. */
void upstream_close(struct bridge *b, cirr_dicom_scu *scu);

/* The FIND model of a root's MOVE or GET model (or the FIND model
 * itself); NULL when sop_class is none of them. */
const char *upstream_find_model(const char *sop_class);
/* The MOVE model of the same root; NULL likewise. */
const char *upstream_move_model(const char *sop_class);

#endif
