/* pullstudy.h: one worklist row: C-FIND its studies at the source, C-GET
 * each, de-identify every instance into the output folder, and send them
 * on to the destination peer when there is one. */
#ifndef CIRR_PULL_PULLSTUDY_H
#define CIRR_PULL_PULLSTUDY_H

#include "anonconf.h"
#include "journal.h"
#include "pullconf.h"
#include "worklist.h"

/* Fill r for row (status pulled, quarantined or failed, with a reason);
 * keys (capacity cap) gets the row's key-file line. */
void pull_row(const struct pull_conf *pc, const struct anon_conf *ac, const char *out_dir,
              const struct worklist_row *row, struct row_result *r, char *keys, size_t cap);

#endif
