/* pacs.h: the pacs source: sweeps the PACS (or the bridge) with C-FIND at
 * study level over sliding StudyDate/StudyTime windows. */
#ifndef WATCH_PACS_H
#define WATCH_PACS_H

#include "watcher.h"

/* Start route r's monitor thread (w->route_threads[r]). 0 or -1. */
int pacs_start(struct watcher *w, unsigned r);

#endif
