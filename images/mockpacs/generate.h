/* generate.h: complete DICOM instances of generated studies, built when
 * asked (C-MOVE, C-GET, push), deterministic from the catalog. */
#ifndef MOCK_GENERATE_H
#define MOCK_GENERATE_H

#include "catalog.h"
#include "cirr_dicom.h"

/* Instance i of series j of study k (st is its record). With the site's
 * pixels setting: synthetic pixel data sized per modality (CT 512x512,
 * MR 256x256, CR 2048x2048, 16 bits), or none. */
cirr_dicom_status generate_instance(const struct catalog *c, uint32_t k, const struct study *st,
                                    unsigned j, unsigned i, cirr_dicom_dataset **out);

#endif
