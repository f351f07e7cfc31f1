/* find.h: C-FIND relayed to the upstream, each answer passed on as it
 * arrives; a caller's C-CANCEL cancels the upstream's search. */
#ifndef BRIDGE_FIND_H
#define BRIDGE_FIND_H

#include "cirr_dicom.h"

uint16_t find_relay(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                    cirr_dicom_find_sink *sink, void *ud);

#endif
