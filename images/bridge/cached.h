/* cached.h: the cache's part in a retrieve: which requests it can serve
 * or fill (a whole study, named by one Study Instance UID), serving one
 * from disk without the upstream, and filling one as it passes. */
#ifndef BRIDGE_CACHED_H
#define BRIDGE_CACHED_H

#include "cirr_dicom.h"
#include "jobs.h"

struct bridge;

/* 1 with the study's UID in study (65 bytes) when the cache is on and
 * query asks for one whole study; else 0. */
int cached_study(const struct bridge *b, const cirr_dicom_dataset *query, char *study);

/* Serve the study from the cache when it is complete there: 0 with *out
 * filled (lib/dicom sends the files), -1 when it is not. caller (escaped)
 * and what ("C-MOVE", "C-GET") are for the log line. */
int cached_serve(struct bridge *b, const char *caller, const char *what, const char *study,
                 cirr_dicom_instances *out);

/* Fill the cache from job as its instances arrive (job->keep). */
void cached_fill(struct bridge *b, const char *study, struct job *job);

/* The move ended: the study is complete in the cache when complete is 1
 * and every listed instance was kept. */
void cached_finish(struct bridge *b, const char *study, const struct job *job, int complete);

#endif
