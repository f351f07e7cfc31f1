/* route.c: see route.h. */
#include "route.h"

#include "list.h"

/* An empty filter lets everything through. */
static int passes(char *const *filter, const char *value)
{
    return !filter[0] || list_contains(filter, value);
}

unsigned route_instance(const struct mux_conf *c, const char *modality, const char *caller, const char *sop_class,
                        int wanted[MUX_MAX_DESTS])
{
    unsigned n = 0;
    for (unsigned i = 0; i < c->ndests; i++) {
        const struct mux_dest *d = &c->dests[i];
        wanted[i] = passes(d->modalities, modality) && passes(d->callers, caller) &&
                    passes(d->sop_classes, sop_class);
        n += (unsigned)wanted[i];
    }
    return n;
}
