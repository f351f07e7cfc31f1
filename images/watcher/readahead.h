/* readahead.h: an orthanc:* route's pages of /changes (with their tags)
 * read on a thread of their own, up to READAHEAD_PAGES ahead of the
 * route's thread, which makes them events, puts them in the outbox and
 * advances the cursor. So Orthanc reads the next page while the last one
 * is written and fsynced: the two cores work at once. Nothing read ahead
 * is acknowledged: the cursor moves in the route's thread only, after the
 * outbox has the events, and a restart reads again from it. */
#ifndef WATCH_READAHEAD_H
#define WATCH_READAHEAD_H

#include "changes.h"

#define READAHEAD_PAGES 2

struct readahead;

/* Start reading route r's pages after change `since` (the cursor). The
 * reader is the readahead's from then on, also when it fails (NULL). */
struct readahead *readahead_start(struct watcher *w, unsigned r, struct changes_reader *reader,
                                  unsigned long long since);

/* The next page, in order: 1 (out filled, the caller frees it), 0 when
 * none came within wait_ms. */
int readahead_next(struct readahead *ra, unsigned wait_ms, struct changes_page *out);

/* Forget what was read ahead and read again after `since` (the route
 * could not take a page). */
void readahead_restart(struct readahead *ra, unsigned long long since);

/* Stop the thread and free everything (accepts NULL). */
void readahead_stop(struct readahead *ra);

#endif
