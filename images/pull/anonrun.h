/* anonrun.h: cirr-anon's work: the input files, gathered, then
 * de-identified by a few threads at once. */
#ifndef CIRR_PULL_ANONRUN_H
#define CIRR_PULL_ANONRUN_H

#include "anonconf.h"
#include "anonfile.h"

struct anonrun {
    const struct anon_conf *conf;
    const char *out_dir;
    char **paths; /* every input file */
    size_t n, cap;
    struct anonfile_counts counts;
};

/* Add the file at path, or every file under the folder at path. 0, or -1
 * (one line logged, counted as failed). Out of memory is fatal (111). */
int anonrun_gather(struct anonrun *r, const char *path);

/* De-identify every gathered file with jobs threads (1 or more); each
 * quarantined or failed file gets a log line. Fatal (111) when a thread
 * cannot start. */
void anonrun_all(struct anonrun *r, unsigned jobs);

void anonrun_free(struct anonrun *r);

#endif
