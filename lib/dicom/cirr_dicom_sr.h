/* cirr_dicom_sr.h: building nested sequence items, at any depth: what a
 * structured report's content tree (ContentSequence in ContentSequence,
 * MeasuredValueSequence, code sequences) needs and cirr_dicom.h's
 * one-level cirr_dicom_set_in_item does not offer. Same conventions:
 * cirr_dicom_ names, a cirr_dicom_status back, no C++ exception crosses. */
#ifndef CIRR_DICOM_SR_H
#define CIRR_DICOM_SR_H

#include "cirr_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A dataset, or an item of a sequence at any depth in one. Owned by the
 * dataset it belongs to: valid until that dataset is freed; never freed
 * on its own. */
typedef struct cirr_dicom_item cirr_dicom_item;

/* The dataset itself, as the item that holds its top-level elements. */
cirr_dicom_item *cirr_dicom_item_top(cirr_dicom_dataset *ds);

/* Append a new, empty item to the sequence seq_tag of parent (the
 * sequence is created when missing) and hand it out in *child. */
cirr_dicom_status cirr_dicom_item_append(cirr_dicom_item *parent, uint32_t seq_tag, cirr_dicom_item **child);

/* Set an element of item from text, its VR from the data dictionary. */
cirr_dicom_status cirr_dicom_item_set(cirr_dicom_item *item, uint32_t tag, const char *value);

#ifdef __cplusplus
}
#endif

#endif
