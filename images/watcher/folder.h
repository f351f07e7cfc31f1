/* folder.h: the folder source of upload routes (upload_files): files that
 * stopped changing are sent to Orthanc, then moved to done/ (or failed/,
 * with a .reason) inside the folder. */
#ifndef WATCH_FOLDER_H
#define WATCH_FOLDER_H

#include "watcher.h"

/* Start route r's thread (w->route_threads[r]). 0 or -1. */
int folder_start(struct watcher *w, unsigned r);

#endif
