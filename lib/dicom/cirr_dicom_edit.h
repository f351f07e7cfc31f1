/* cirr_dicom_edit.h: editing a dataset element by element, at every depth
 * (sequence items included): what de-identification needs and the rest of
 * the C API (cirr_dicom.h) does not offer. Same conventions: cirr_dicom_
 * names, a cirr_dicom_status back, no C++ exception crosses. */
#ifndef CIRR_DICOM_EDIT_H
#define CIRR_DICOM_EDIT_H

#include "cirr_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the walker does with the element it showed. */
typedef enum {
    CIRR_DICOM_EDIT_KEEP = 0, /* leave it; a sequence: walk into its items */
    CIRR_DICOM_EDIT_REMOVE,   /* delete it (and everything nested in it) */
    CIRR_DICOM_EDIT_EMPTY,    /* keep it with no value (a sequence: no items) */
    CIRR_DICOM_EDIT_REPLACE,  /* set the text written to the replacement buffer */
    /* cirr_dicom_edit_walk_deferred only, for an element shown with
     * value_deferred set: show it again, with its value. */
    CIRR_DICOM_EDIT_NEED_VALUE,
    CIRR_DICOM_EDIT_INTERNAL_ = 0x7fffffff
} cirr_dicom_edit_action;

/* One element as the walker shows it (valid for the call only). */
typedef struct {
    uint32_t tag;
    char vr[3];              /* "PN", "SQ", ... */
    /* The value as text, multiple values joined by '\', for the text VRs
     * (AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT); NULL for the
     * others (numbers, binary, sequences), which are never converted. */
    const char *value;
    unsigned depth;          /* 0 at the top, 1 inside a top-level sequence's item, ... */
    /* For a private data element (odd group, element xx10-xxff): the value
     * of its Private Creator (gggg,00xx) in the same item, trailing spaces
     * cut; "" when the creator is missing. NULL for any other element. */
    const char *private_creator;
    /* cirr_dicom_edit_walk_deferred: 1 when e has a text VR but value is
     * NULL because it was not converted yet (answer NEED_VALUE to see it);
     * always 0 from cirr_dicom_edit_walk. */
    int value_deferred;
} cirr_dicom_element;

/* Decide for e: the action, and for REPLACE the new text in replacement
 * (capacity cap, NUL-terminated). */
typedef cirr_dicom_edit_action (*cirr_dicom_edit_fn)(const cirr_dicom_element *e, char *replacement,
                                                     size_t cap, void *ud);

/* Show every element of ds to fn, depth first in tag order: a sequence
 * first, then (when fn keeps it) the elements of each of its items. fn may
 * not touch ds itself. ERROR_ARGUMENT when a replacement does not suit the
 * element's VR (the message names the tag). */
cirr_dicom_status cirr_dicom_edit_walk(cirr_dicom_dataset *ds, cirr_dicom_edit_fn fn, void *ud);

/* The same walk, but each element of a text VR is first shown without its
 * value (value NULL, value_deferred 1): fn answers NEED_VALUE to be shown
 * it again with the value, which is then converted to text. For callers
 * that decide most elements by tag and VR alone (converting every value
 * costs about a tenth of a small instance's de-identification). */
cirr_dicom_status cirr_dicom_edit_walk_deferred(cirr_dicom_dataset *ds, cirr_dicom_edit_fn fn, void *ud);

/* Append an item with a code (CodeValue, CodingSchemeDesignator,
 * CodeMeaning) to the top-level sequence seq_tag (created when missing). */
cirr_dicom_status cirr_dicom_edit_append_code(cirr_dicom_dataset *ds, uint32_t seq_tag, const char *value,
                                              const char *scheme, const char *meaning);

/* Read a DICOM Part 10 file like cirr_dicom_dataset_read, but in one
 * read() and parsed from memory, without the copy of the dataset: for
 * batch work. Same statuses (ERROR_IO, ERROR_PARSE). */
cirr_dicom_status cirr_dicom_read_whole(const char *path, cirr_dicom_dataset **out);

#ifdef __cplusplus
}
#endif

#endif
