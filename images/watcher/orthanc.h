/* orthanc.h: the orthanc:instances, orthanc:series and orthanc:studies
 * sources: a thread per route that follows Orthanc's /changes. */
#ifndef WATCH_ORTHANC_H
#define WATCH_ORTHANC_H

#include "watcher.h"

/* Start route r's follower thread (w->route_threads[r]). 0 or -1. */
int orthanc_start(struct watcher *w, unsigned r);

#endif
