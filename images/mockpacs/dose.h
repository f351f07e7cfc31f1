/* dose.h: the CT Radiation Dose SR (TID 10011) of a generated CT study
 * (MOCK_DOSE_REPORTS), its values drawn from the seed and consistent with
 * the study's image series. */
#ifndef MOCK_DOSE_H
#define MOCK_DOSE_H

#include "catalog.h"
#include "cirr_dicom.h"

/* Add the report's document attributes and content tree to ds, which
 * already holds the patient, study, series and instance attributes. */
cirr_dicom_status dose_report(cirr_dicom_dataset *ds, const struct catalog *c, uint32_t k, const struct study *st);

#endif
