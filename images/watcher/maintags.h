/* maintags.h: WATCH_ORTHANC_TAGS=main for orthanc:instances: an instance's
 * tags from Orthanc's index instead of its file: the patient's, study's,
 * series' and instance's "main DICOM tags", read for a whole page of
 * changes from /tools/bulk-content (instances, then the series and
 * studies not cached yet, each in chunks asked at once), merged into one
 * object by keyword.
 * No file is read: about 10x Orthanc's rate of full tags, at the cost of
 * the attributes Orthanc does not index (the follower still reads a
 * structured report's full tags, for its content tree). */
#ifndef WATCH_MAINTAGS_H
#define WATCH_MAINTAGS_H

#include "json.h"

#include <stddef.h>

/* How maintags reaches Orthanc: n POSTs to path at once (n <= parallel),
 * bodies[i] of lens[i] bytes; each one's HTTP status (0: network error)
 * and its answer parsed (or NULL). Orthanc answers parallel requests on
 * parallel threads: a page read in chunks at once is read faster. */
struct orthanc_http {
    void (*post_many)(void *ctx, const char *path, const char *const *bodies, const size_t *lens, unsigned n,
                      long *status, struct json **answers);
    void *ctx;
    unsigned parallel;
};

/* A cache of series (with their study and patient) across pages. */
struct maintags *maintags_new(void);
void maintags_free(struct maintags *mt);

/* The tags of instances ids[0..n) (Orthanc IDs, checked by the caller):
 * out[i] an object the caller owns, or NULL for an instance Orthanc no
 * longer has. 0, or -1 with err (nothing in out to free then but NULLs). */
int maintags_read(struct maintags *mt, const struct orthanc_http *o, const char *const *ids, size_t n,
                  struct json **out, char *err, size_t cap);

#endif
