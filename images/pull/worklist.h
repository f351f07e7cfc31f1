/* worklist.h: the worklist CSV cirr-pull reads: a header line naming the
 * columns, then one study (or a patient's studies on a date or in a date
 * range) a line. */
#ifndef CIRR_PULL_WORKLIST_H
#define CIRR_PULL_WORKLIST_H

#include <stddef.h>

struct worklist_row {
    unsigned line;          /* in the file, from 1 (the header) */
    char accession[17];     /* AccessionNumber, or "" */
    char patient_id[65];    /* PatientID, or "" */
    char study_date[18];    /* StudyDate YYYYMMDD or YYYYMMDD-YYYYMMDD, or "" */
};

struct worklist {
    struct worklist_row *rows;
    size_t n, cap;
};

/* Read path: 0, or -1 with one line in err naming the line at fault.
 * Columns (any order, any case): AccessionNumber, PatientID, StudyDate;
 * a row needs an AccessionNumber, or a PatientID with a StudyDate. No
 * quoting: values hold no comma; no wildcards. */
int worklist_read(const char *path, struct worklist *w, char *err, size_t cap);
void worklist_free(struct worklist *w);

#endif
