/* modality.h: what the studies of each modality are made of, one row of
 * modality.c's table per modality: the catalog takes its descriptions,
 * series and counts from it, the generator its IOD (SOP class, image type,
 * pixel matrix, image plane, fixed attributes), and MOCK_SITE the list of
 * modalities it accepts. Adding a modality is adding a row (and, when its
 * series have a length of their own, a MOCK_<X>_SLICES setting). */
#ifndef MOCK_MODALITY_H
#define MOCK_MODALITY_H

#include <stddef.h>
#include <stdint.h>

/* One attribute with a fixed value; value NULL: present and empty (type 2). */
struct modality_attr {
    uint32_t tag;
    const char *value;
};

/* A kind of study: its description and body part, picked per study. */
struct study_kind {
    const char *description;    /* StudyDescription */
    const char *body_part;      /* BodyPartExamined */
    const char *region_code;    /* SNOMED CT code of the body part (DICOM CID 4031), or NULL */
    const char *region_meaning; /* its code meaning */
};

/* Series j of every study of the modality. */
struct series_kind {
    const char *description;             /* SeriesDescription */
    int single;                          /* one image (a scout), whatever the slices setting */
    struct modality_attr attrs[4];       /* of this series' images; a 0 tag ends the list */
};

struct modality {
    const char *code;                    /* Modality: "CT" */
    const char *sop_class;               /* SOP Class UID of its images */
    const struct study_kind *studies;
    unsigned nstudies;
    const struct series_kind *series;
    unsigned nseries;
    size_t slices;                       /* offsetof(struct site, <images per series>), or 0: one image */
    unsigned rows, cols;                 /* pixel matrix, 16 bits allocated */
    double spacing, thickness;           /* image plane in mm; 0: a projection image, no plane */
    int frame_of_reference;              /* Frame of Reference module (cross-sections and DX) */
    int image_laterality;                /* ImageLaterality from the study description (DX) */
    const struct modality_attr *attrs;   /* fixed attributes of every image; a 0 tag ends the list */
};

/* The row of the modality code ("CT"), or NULL when mockpacs has none. */
const struct modality *modality_find(const char *code);

/* The codes as a sentence, "CT, MR, CR or DX" (static storage). */
const char *modality_codes(void);

#endif
