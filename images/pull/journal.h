/* journal.h: cirr-pull's record of the worklist rows it finished, beside
 * its output (OUT/.cirr-pull/journal), so that a rerun goes on where the
 * last run stopped; and the key file (OUT/.cirr-pull/keys.csv, mode 0600),
 * the one place where a worklist row meets its pseudonyms. */
#ifndef CIRR_PULL_JOURNAL_H
#define CIRR_PULL_JOURNAL_H

#include <stddef.h>

/* What became of one row. */
struct row_result {
    unsigned line;
    unsigned found, pulled, quarantined, failed; /* studies found; instances */
    char status[16];   /* pulled, quarantined, failed */
    char reason[160];
};

struct journal {
    char dir[4096];
    struct row_result *done; /* rows finished in earlier runs and this one */
    size_t n, cap;
};

/* Open (create) OUT/.cirr-pull and read the rows done. 0, or -1 with one
 * line in err. */
int journal_open(struct journal *j, const char *out_dir, char *err, size_t cap);

/* The last record of the row at line, or NULL. */
const struct row_result *journal_find(const struct journal *j, unsigned line);

/* Record a finished row: its key-file line first (worklist values and
 * pseudonyms), then the journal line, each appended and fsynced; the
 * output must be durable before (anonfile_flush). 0, or -1 with errno. */
int journal_record(struct journal *j, const struct row_result *r, const char *keys_line);

void journal_close(struct journal *j);

#endif
