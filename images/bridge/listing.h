/* listing.h: which instances a C-MOVE or C-GET names, asked of the
 * upstream by C-FIND before the move: their SOP Instance UIDs (to match
 * the C-STOREs that come back) and SOP classes (to negotiate with the
 * destination before the first arrives). */
#ifndef BRIDGE_LISTING_H
#define BRIDGE_LISTING_H

#include "cirr_dicom.h"
#include "jobs.h"

/* Fill job's list for the retrieve query (at any level, either root; its
 * FIND model find_model) over the upstream association scu. 0, or -1 with
 * the reason in why. */
int listing_fill(cirr_dicom_scu *scu, const char *find_model, const cirr_dicom_dataset *query, struct job *job,
                 char *why, size_t cap);

#endif
