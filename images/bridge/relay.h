/* relay.h: C-MOVE and C-GET relayed: the bridge lists the instances
 * (listing.h), asks the upstream to move them to the bridge itself, and
 * hands each one on as it arrives (jobs.h): lib/dicom sends it to the
 * caller's destination over one association held for the whole move, or
 * back on the caller's own association for C-GET, with a pending answer
 * (remaining, completed, failed, warning) after each. */
#ifndef BRIDGE_RELAY_H
#define BRIDGE_RELAY_H

#include "cirr_dicom.h"

/* The SCP's retrieve handler (ud: struct bridge). */
uint16_t relay_retrieve(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                        cirr_dicom_instances *out, void *ud);

/* The SCP's C-MOVE destination lookup: the MOD_<NAME> peers. */
int relay_destination(const char *aet, char *host, size_t cap, unsigned *port, void *ud);

/* The SCP's C-STORE handler: instances the upstream moves to the bridge. */
uint16_t relay_store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts_uid, void *ud);

#endif
