/* store.h: instances received by C-STORE, kept as files and indexed, so
 * that mockpacs can also stand in for a workstation or an archive. */
#ifndef MOCK_STORE_H
#define MOCK_STORE_H

#include "cirr_dicom.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct stored {
    char path[320];
    char sop_class[65], sop_uid[65], study_uid[65], series_uid[65];
    char patient_name[65], patient_id[65], study_date[9], study_time[17], accession[17];
    char study_desc[65], modality[17], series_number[13], series_desc[65], instance_number[13];
};

struct store {
    pthread_mutex_t lock;
    char dir[256];
    struct stored *items;
    size_t n, cap;
};

/* Open dir (created if missing) and index the files already there. */
int store_open(struct store *s, const char *dir, char *err, size_t cap);
void store_close(struct store *s);

/* Write ds durably (file and folder fsynced) and index it; a DIMSE status. */
uint16_t store_put(struct store *s, cirr_dicom_dataset *ds, char *why, size_t cap);

/* Value of tag for a stored instance, at any level; 1 when known. */
int store_attr(const struct stored *st, uint32_t tag, char *buf, size_t cap);

/* Copy of the index (caller frees) for matching without holding the lock. */
size_t store_snapshot(struct store *s, struct stored **out);

#endif
