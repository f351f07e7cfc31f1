/* store.c: received instances, durable before they are acknowledged. */
#include "store.h"

#include "array.h"
#include "fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The attributes a stored instance is indexed by, and where each is kept:
 * one table for reading them from a received dataset and for answering a
 * query about them. */
#define STORED(tag, field) {tag, offsetof(struct stored, field), sizeof ((struct stored *)0)->field}
static const struct {
    uint32_t tag;
    size_t offset, size;
} stored_fields[] = {
    STORED(CIRR_TAG_SOP_CLASS_UID, sop_class), STORED(CIRR_TAG_SOP_INSTANCE_UID, sop_uid),
    STORED(CIRR_TAG_STUDY_INSTANCE_UID, study_uid), STORED(CIRR_TAG_SERIES_INSTANCE_UID, series_uid),
    STORED(CIRR_TAG_PATIENT_NAME, patient_name), STORED(CIRR_TAG_PATIENT_ID, patient_id),
    STORED(CIRR_TAG_STUDY_DATE, study_date), STORED(CIRR_TAG_STUDY_TIME, study_time),
    STORED(CIRR_TAG_ACCESSION_NUMBER, accession), STORED(CIRR_TAG_STUDY_DESCRIPTION, study_desc),
    STORED(CIRR_TAG_MODALITY, modality), STORED(CIRR_TAG_SERIES_NUMBER, series_number),
    STORED(CIRR_TAG_SERIES_DESCRIPTION, series_desc), STORED(CIRR_TAG_INSTANCE_NUMBER, instance_number),
};
#define NSTORED (sizeof stored_fields / sizeof stored_fields[0])

static void describe(cirr_dicom_dataset *ds, struct stored *st)
{
    for (size_t i = 0; i < NSTORED; i++) {
        char *buf = (char *)st + stored_fields[i].offset;
        if (cirr_dicom_get_string(ds, stored_fields[i].tag, buf, stored_fields[i].size) != CIRR_DICOM_OK)
            buf[0] = '\0';
    }
}

/* Add or replace (same SOP Instance UID: stores are idempotent). */
static int index_entry(struct store *s, const struct stored *st)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i].sop_uid, st->sop_uid) == 0) {
            s->items[i] = *st;
            return 0;
        }
    struct stored *items = array_grow(s->items, &s->cap, s->n + 1, sizeof *items, 64);
    if (!items)
        return -1;
    s->items = items;
    s->items[s->n++] = *st;
    return 0;
}

int store_open(struct store *s, const char *dir, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
        snprintf(err, cap, "MOCK_STORE_DIR=%s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, cap, "MOCK_STORE_DIR=%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".dcm") != 0)
            continue;
        struct stored st;
        snprintf(st.path, sizeof st.path, "%s/%s", dir, de->d_name);
        cirr_dicom_dataset *ds;
        if (cirr_dicom_dataset_read(st.path, &ds) != CIRR_DICOM_OK)
            continue;
        describe(ds, &st);
        cirr_dicom_dataset_free(ds);
        index_entry(s, &st);
    }
    closedir(d);
    return 0;
}

void store_close(struct store *s)
{
    free(s->items);
    pthread_mutex_destroy(&s->lock);
}

uint16_t store_put(struct store *s, cirr_dicom_dataset *ds, char *why, size_t cap)
{
    struct stored st;
    describe(ds, &st);
    if (!st.sop_uid[0] || strchr(st.sop_uid, '/')) {
        snprintf(why, cap, "no valid SOP Instance UID");
        return 0xA900; /* dataset does not match SOP class */
    }
    char tmp[340];
    snprintf(st.path, sizeof st.path, "%.250s/%.64s.dcm", s->dir, st.sop_uid);
    snprintf(tmp, sizeof tmp, "%s.tmp", st.path);
    if (cirr_dicom_dataset_write(ds, tmp, NULL) != CIRR_DICOM_OK || fsync_path(tmp, 0) < 0 ||
        rename(tmp, st.path) < 0 || fsync_path(s->dir, O_DIRECTORY) < 0) {
        snprintf(why, cap, "cannot write %s: %s", st.path, cirr_dicom_last_error());
        unlink(tmp);
        return 0xA700; /* out of resources */
    }
    pthread_mutex_lock(&s->lock);
    int rc = index_entry(s, &st);
    pthread_mutex_unlock(&s->lock);
    return rc == 0 ? 0x0000 : 0xA700;
}

size_t store_snapshot(struct store *s, struct stored **out)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out)
        n = 0;
    else if (n) /* items is NULL while the store is empty */
        memcpy(*out, s->items, n * sizeof **out);
    pthread_mutex_unlock(&s->lock);
    return n;
}

int store_attr(const struct stored *st, uint32_t tag, char *buf, size_t cap)
{
    if (tag == CIRR_TAG_MODALITIES_IN_STUDY)
        tag = CIRR_TAG_MODALITY; /* what a study of stored instances has is their modality */
    for (size_t i = 0; i < NSTORED; i++)
        if (stored_fields[i].tag == tag) {
            snprintf(buf, cap, "%s", (const char *)st + stored_fields[i].offset);
            return 1;
        }
    return 0;
}
