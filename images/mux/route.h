/* route.h: which destinations take an instance, by their filters
 * (MUX_DEST_<NAME>_MODALITY, _CALLING, _SOP_CLASS; none set: everything). */
#ifndef MUX_ROUTE_H
#define MUX_ROUTE_H

#include "muxconf.h"

/* Set wanted[i] to 1 for every destination i of c that takes an instance
 * of this modality and SOP class from this calling AE title, else 0.
 * Returns how many take it. */
unsigned route_instance(const struct mux_conf *c, const char *modality, const char *caller, const char *sop_class,
                        int wanted[MUX_MAX_DESTS]);

#endif
