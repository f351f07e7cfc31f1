/* listing.c: see listing.h. The studies first (named in the query, or
 * found by its patient keys), then an IMAGE level C-FIND per study, which
 * every Q/R SCP answers when given the study (PS3.4 C.4.1.3.1). */
#include "listing.h"

#include "array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UID_CAP 65

struct uids { char (*v)[UID_CAP]; size_t n, cap; int full; };

static int collect_study(const cirr_dicom_dataset *match, void *ud)
{
    struct uids *u = ud;
    char uid[UID_CAP];
    if (cirr_dicom_get_string(match, CIRR_TAG_STUDY_INSTANCE_UID, uid, sizeof uid) != CIRR_DICOM_OK || !*uid)
        return 0;
    void *v = array_grow(u->v, &u->cap, u->n + 1, UID_CAP, 16);
    if (!v) {
        u->full = 1;
        return 1;
    }
    u->v = v;
    memcpy(u->v[u->n++], uid, UID_CAP);
    return 0;
}

/* A value of the query, "" when absent. */
static void key(const cirr_dicom_dataset *q, uint32_t tag, char *buf, size_t cap)
{
    if (cirr_dicom_get_string(q, tag, buf, cap) != CIRR_DICOM_OK)
        buf[0] = '\0';
}

/* The study UIDs: a list in the query, split at '\', or a STUDY level
 * search with the query's patient keys. */
static int studies(cirr_dicom_scu *scu, const char *model, const cirr_dicom_dataset *query, struct uids *u,
                   char *why, size_t cap)
{
    char list[4096];
    key(query, CIRR_TAG_STUDY_INSTANCE_UID, list, sizeof list);
    if (*list) {
        for (char *s = strtok(list, "\\"); s; s = strtok(NULL, "\\")) {
            void *v = array_grow(u->v, &u->cap, u->n + 1, UID_CAP, 16);
            if (!v)
                return snprintf(why, cap, "out of memory"), -1;
            u->v = v;
            snprintf(u->v[u->n++], UID_CAP, "%s", s);
        }
        return 0;
    }
    char pid[128];
    key(query, CIRR_TAG_PATIENT_ID, pid, sizeof pid);
    if (!*pid)
        return snprintf(why, cap, "the query names neither a study nor a patient"), -1;
    cirr_dicom_dataset *q = NULL;
    uint16_t status = 0;
    if (cirr_dicom_dataset_new(&q) != CIRR_DICOM_OK)
        return snprintf(why, cap, "out of memory"), -1;
    cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
    cirr_dicom_set_string(q, CIRR_TAG_PATIENT_ID, pid);
    cirr_dicom_set_empty(q, CIRR_TAG_STUDY_INSTANCE_UID);
    cirr_dicom_status s = cirr_dicom_scu_find(scu, model, q, collect_study, u, &status);
    cirr_dicom_dataset_free(q);
    if (s != CIRR_DICOM_OK || u->full || (status != 0x0000 && status != 0xFF00))
        return snprintf(why, cap, "study search failed: %s (status 0x%04x)",
                        s != CIRR_DICOM_OK ? cirr_dicom_last_error() : "out of memory", status), -1;
    return 0;
}

struct collect { struct job *job; int full; };

static int collect_instance(const cirr_dicom_dataset *match, void *ud)
{
    struct collect *c = ud;
    char uid[UID_CAP], cls[UID_CAP];
    if (cirr_dicom_get_string(match, CIRR_TAG_SOP_INSTANCE_UID, uid, sizeof uid) != CIRR_DICOM_OK || !*uid)
        return 0;
    if (cirr_dicom_get_string(match, CIRR_TAG_SOP_CLASS_UID, cls, sizeof cls) != CIRR_DICOM_OK)
        cls[0] = '\0';
    if (job_add_item(c->job, uid, cls) < 0) {
        c->full = 1;
        return 1;
    }
    return 0;
}

/* IMAGE level under one study, keeping the query's series and instance keys. */
static int instances(cirr_dicom_scu *scu, const char *model, const cirr_dicom_dataset *query, const char *study,
                     struct job *job, char *why, size_t cap)
{
    char series[4096], sop[8192], pid[128];
    key(query, CIRR_TAG_SERIES_INSTANCE_UID, series, sizeof series);
    key(query, CIRR_TAG_SOP_INSTANCE_UID, sop, sizeof sop);
    key(query, CIRR_TAG_PATIENT_ID, pid, sizeof pid);
    cirr_dicom_dataset *q = NULL;
    if (cirr_dicom_dataset_new(&q) != CIRR_DICOM_OK)
        return snprintf(why, cap, "out of memory"), -1;
    cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "IMAGE");
    cirr_dicom_set_string(q, CIRR_TAG_PATIENT_ID, pid);
    cirr_dicom_set_string(q, CIRR_TAG_STUDY_INSTANCE_UID, study);
    cirr_dicom_set_string(q, CIRR_TAG_SERIES_INSTANCE_UID, series);
    cirr_dicom_set_string(q, CIRR_TAG_SOP_INSTANCE_UID, sop);
    cirr_dicom_set_empty(q, CIRR_TAG_SOP_CLASS_UID);
    struct collect c = {job, 0};
    uint16_t status = 0;
    cirr_dicom_status s = cirr_dicom_scu_find(scu, model, q, collect_instance, &c, &status);
    cirr_dicom_dataset_free(q);
    if (s != CIRR_DICOM_OK || c.full || (status != 0x0000 && status != 0xFF00))
        return snprintf(why, cap, "instance search failed: %s (status 0x%04x)",
                        s != CIRR_DICOM_OK ? cirr_dicom_last_error() : "out of memory", status), -1;
    return 0;
}

int listing_fill(cirr_dicom_scu *scu, const char *find_model, const cirr_dicom_dataset *query, struct job *job,
                 char *why, size_t cap)
{
    struct uids u = {0};
    int rc = studies(scu, find_model, query, &u, why, cap);
    for (size_t i = 0; rc == 0 && i < u.n; i++)
        rc = instances(scu, find_model, query, u.v[i], job, why, cap);
    free(u.v);
    return rc;
}
