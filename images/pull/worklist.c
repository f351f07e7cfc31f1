/* worklist.c: the worklist CSV, checked whole before anything is pulled. */
#include "worklist.h"

#include "array.h"
#include "envconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum column { COL_NONE, COL_ACCESSION, COL_PATIENT, COL_DATE };

/* Cut spaces and a trailing CR around s, in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int valid_text(const char *v)
{
    for (; *v; v++)
        if (*v == '\\' || *v == '*' || *v == '?' || !isprint((unsigned char)*v))
            return 0;
    return 1;
}

static int valid_date(const char *v)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (!(isdigit((unsigned char)v[i]) || (i == 8 && v[i] == '-')))
            return 0;
    return n == 0 || n == 8 || (n == 17 && v[8] == '-');
}

static enum column column_of(const char *name)
{
    if (!strcasecmp(name, "AccessionNumber"))
        return COL_ACCESSION;
    if (!strcasecmp(name, "PatientID"))
        return COL_PATIENT;
    return !strcasecmp(name, "StudyDate") ? COL_DATE : COL_NONE;
}

static int set_field(struct worklist_row *r, enum column c, const char *v)
{
    char *dst = c == COL_ACCESSION ? r->accession : c == COL_PATIENT ? r->patient_id : r->study_date;
    size_t cap = c == COL_ACCESSION ? sizeof r->accession : c == COL_PATIENT ? sizeof r->patient_id
                                                                               : sizeof r->study_date;
    if (strlen(v) >= cap || !valid_text(v) || (c == COL_DATE && !valid_date(v)))
        return -1;
    strcpy(dst, v);
    return 0;
}

/* One data line into r, by the header's columns. */
static int parse_row(char *line, const enum column *cols, size_t ncols, struct worklist_row *r)
{
    size_t i = 0;
    for (char *field = line, *next; field; field = next, i++) {
        next = strchr(field, ',');
        if (next)
            *next++ = '\0';
        if (i >= ncols)
            return -1;
        if (cols[i] != COL_NONE && set_field(r, cols[i], trim(field)) < 0)
            return -1;
    }
    return *r->accession || (*r->patient_id && *r->study_date) ? 0 : -1;
}

static int parse_header(char *line, enum column *cols, size_t *ncols)
{
    int any = 0;
    *ncols = 0;
    for (char *field = line, *next; field && *ncols < 32; field = next) {
        next = strchr(field, ',');
        if (next)
            *next++ = '\0';
        cols[*ncols] = column_of(trim(field));
        any |= cols[(*ncols)++] != COL_NONE;
    }
    return any ? 0 : -1;
}

int worklist_read(const char *path, struct worklist *w, char *err, size_t cap)
{
    memset(w, 0, sizeof *w);
    FILE *f = fopen(path, "r");
    if (!f)
        return envconf_fail(err, cap, "worklist %s: %s", path, strerror(errno));
    char line[1024];
    enum column cols[32];
    size_t ncols = 0;
    unsigned no = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        no++;
        if (!*trim(line))
            continue;
        if (ncols == 0) {
            if (parse_header(line, cols, &ncols) < 0)
                rc = envconf_fail(err, cap, "worklist %s: line 1: expected a header naming AccessionNumber, PatientID, "
                                    "StudyDate", path);
            continue;
        }
        struct worklist_row r = {.line = no};
        struct worklist_row *grown = array_grow(w->rows, &w->cap, w->n + 1, sizeof *w->rows, 0);
        if (!grown) {
            rc = envconf_fail(err, cap, "out of memory");
            continue;
        }
        w->rows = grown;
        if (parse_row(line, cols, ncols, &r) < 0)
            rc = envconf_fail(err, cap, "worklist %s: line %u: needs an AccessionNumber, or a PatientID and a StudyDate "
                                "(YYYYMMDD or YYYYMMDD-YYYYMMDD), each without wildcards", path, no);
        else
            w->rows[w->n++] = r;
    }
    fclose(f);
    if (rc == 0 && ncols == 0)
        rc = envconf_fail(err, cap, "worklist %s: empty", path);
    if (rc < 0)
        worklist_free(w);
    return rc;
}

void worklist_free(struct worklist *w)
{
    free(w->rows);
    memset(w, 0, sizeof *w);
}
