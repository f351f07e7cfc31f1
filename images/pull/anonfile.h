/* anonfile.h: one file through lib/anon into an output folder laid out by
 * pseudonymous patient, study and series. */
#ifndef CIRR_PULL_ANONFILE_H
#define CIRR_PULL_ANONFILE_H

#include "anon/anon.h"

#include <stddef.h>

struct anonfile_counts {
    unsigned long done, quarantined, failed;
};

/* De-identify the DICOM file at path into out_dir as
 * PATIENT/STUDY_UID/SERIES_UID/SOP_UID.dcm (written as NAME.new, renamed),
 * in the transfer syntax it came in. Not flushed: the caller makes the
 * whole output durable at once (anonfile_flush), since an fsync per file
 * would cost more than the de-identification itself. The result; reason says why for
 * QUARANTINED and FAILED; written (capacity cap) the path written. */
enum anon_result anonfile_one(const char *path, const char *out_dir, const struct anon_key *key,
                              const struct anon_options *o, char *written, size_t cap, char *reason,
                              size_t rcap);

/* The same for a dataset in memory (de-identified in place), to be
 * written in transfer syntax ts. */
enum anon_result anonfile_dataset(cirr_dicom_dataset *ds, const char *ts, const char *out_dir,
                                  const struct anon_key *key, const struct anon_options *o, char *written,
                                  size_t cap, char *reason, size_t rcap);

/* mkdir -p dir: 0, or -1 with errno. */
int anonfile_mkdirs(const char *dir);

/* Flush the file system that holds out_dir (syncfs): 0, or -1 with errno. */
int anonfile_flush(const char *out_dir);

#endif
