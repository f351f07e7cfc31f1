/* modality.c: the modalities mockpacs generates (see modality.h). Every
 * value here ends up in the instances: changing one changes the bytes that
 * the same seed gives. */
#include "modality.h"

#include "cirr_dicom_tags.h"
#include "site.h"

#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof *(a))

static const struct study_kind ct_studies[] = {
    {"CT HEAD W/O CONTRAST", "HEAD", NULL, NULL},
    {"CT CHEST W CONTRAST", "CHEST", NULL, NULL},
    {"CT ABDOMEN PELVIS W CONTRAST", "ABDOMEN", NULL, NULL},
    {"CT CERVICAL SPINE", "CSPINE", NULL, NULL},
};
static const struct study_kind mr_studies[] = {
    {"MRI BRAIN W/WO CONTRAST", "BRAIN", NULL, NULL},
    {"MRI LUMBAR SPINE W/O", "LSPINE", NULL, NULL},
    {"MRI KNEE LEFT W/O", "KNEE", NULL, NULL},
};
static const struct study_kind cr_studies[] = {
    {"XR CHEST 2 VIEWS", "CHEST", NULL, NULL},
    {"XR HAND LEFT 3 VIEWS", "HAND", NULL, NULL},
    {"XR ANKLE RIGHT 2 VIEWS", "ANKLE", NULL, NULL},
};
/* DX codes its anatomic region (Anatomic Region Sequence, SNOMED CT). */
static const struct study_kind dx_studies[] = {
    {"DX CHEST PA AND LATERAL", "CHEST", "51185008", "Chest"},
    {"DX KNEE RIGHT 2 VIEWS", "KNEE", "72696002", "Knee"},
    {"DX PELVIS AP", "PELVIS", "12921003", "Pelvis"},
};

static const struct series_kind ct_series[] = {
    {"SCOUT", 1, {{CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY\\LOCALIZER"}, {CIRR_TAG_ACQUISITION_NUMBER, "1"}}},
    {"AXIAL 5.0MM", 0, {{CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY\\AXIAL"}, {CIRR_TAG_ACQUISITION_NUMBER, "2"}}},
};
static const struct series_kind mr_series[] = {
    {"T1 AX", 0, {{CIRR_TAG_REPETITION_TIME, "500"}, {CIRR_TAG_ECHO_TIME, "15"}, {CIRR_TAG_ACQUISITION_NUMBER, "1"}}},
    {"T2 AX", 0, {{CIRR_TAG_REPETITION_TIME, "4000"}, {CIRR_TAG_ECHO_TIME, "90"}, {CIRR_TAG_ACQUISITION_NUMBER, "2"}}},
    {"FLAIR COR", 0, {{CIRR_TAG_REPETITION_TIME, "500"}, {CIRR_TAG_ECHO_TIME, "15"}, {CIRR_TAG_ACQUISITION_NUMBER, "3"}}},
};
/* CR and DX: two projections. */
static const struct series_kind projection_series[] = {
    {"PA", 0, {{CIRR_TAG_VIEW_POSITION, "PA"}, {CIRR_TAG_PATIENT_ORIENTATION, "L\\F"}}},
    {"LATERAL", 0, {{CIRR_TAG_VIEW_POSITION, "LL"}, {CIRR_TAG_PATIENT_ORIENTATION, "A\\F"}}},
};

static const struct modality_attr ct_attrs[] = {
    {CIRR_TAG_KVP, "120"},
    {CIRR_TAG_RESCALE_INTERCEPT, "-1024"},
    {CIRR_TAG_RESCALE_SLOPE, "1"},
    {CIRR_TAG_WINDOW_CENTER, "40"},
    {CIRR_TAG_WINDOW_WIDTH, "400"},
    {0, NULL},
};
static const struct modality_attr mr_attrs[] = {
    {CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY\\OTHER"},
    {CIRR_TAG_SCANNING_SEQUENCE, "SE"},
    {CIRR_TAG_SEQUENCE_VARIANT, "NONE"},
    {CIRR_TAG_SCAN_OPTIONS, ""},
    {CIRR_TAG_MR_ACQUISITION_TYPE, "2D"},
    {CIRR_TAG_ECHO_TRAIN_LENGTH, "1"},
    {CIRR_TAG_MAGNETIC_FIELD_STRENGTH, "1.5"},
    {0, NULL},
};
static const struct modality_attr cr_attrs[] = {
    {CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY"},
    {0, NULL},
};
/* Digital X-Ray, For Presentation (PS3.3 A.26). */
static const struct modality_attr dx_attrs[] = {
    {CIRR_TAG_PRESENTATION_INTENT_TYPE, "FOR PRESENTATION"},
    {CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY"},
    {CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP, "LIN"},
    {CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP_SIGN, "1"},
    {CIRR_TAG_RESCALE_INTERCEPT, "0"},
    {CIRR_TAG_RESCALE_SLOPE, "1"},
    {CIRR_TAG_RESCALE_TYPE, "US"},
    {CIRR_TAG_PRESENTATION_LUT_SHAPE, "IDENTITY"},
    {CIRR_TAG_LOSSY_IMAGE_COMPRESSION, "00"},
    {CIRR_TAG_BURNED_IN_ANNOTATION, "NO"},
    {CIRR_TAG_WINDOW_CENTER, "2048"},
    {CIRR_TAG_WINDOW_WIDTH, "4096"},
    {CIRR_TAG_DETECTOR_TYPE, "SCINTILLATOR"},
    {CIRR_TAG_IMAGER_PIXEL_SPACING, "0.15\\0.15"},
    {CIRR_TAG_ACQUISITION_CONTEXT_SEQUENCE, NULL},
    {CIRR_TAG_POSITIONER_TYPE, NULL},
    {0, NULL},
};

static const struct modality modalities[] = {
    {"CT", "1.2.840.10008.5.1.4.1.1.2" /* CT Image Storage */, ct_studies, N(ct_studies), ct_series,
     N(ct_series), offsetof(struct site, ct_slices), 512, 512, 0.7, 5.0, 1, 0, ct_attrs},
    {"MR", "1.2.840.10008.5.1.4.1.1.4" /* MR Image Storage */, mr_studies, N(mr_studies), mr_series,
     N(mr_series), offsetof(struct site, mr_slices), 256, 256, 0.9, 4.0, 1, 0, mr_attrs},
    {"CR", "1.2.840.10008.5.1.4.1.1.1" /* Computed Radiography */, cr_studies, N(cr_studies),
     projection_series, N(projection_series), 0, 2048, 2048, 0, 0, 0, 0, cr_attrs},
    {"DX", "1.2.840.10008.5.1.4.1.1.1.1" /* Digital X-Ray, For Presentation */, dx_studies, N(dx_studies),
     projection_series, N(projection_series), 0, 2048, 2048, 0, 0, 1, 1, dx_attrs},
};

const struct modality *modality_find(const char *code)
{
    for (size_t i = 0; i < N(modalities); i++)
        if (strcmp(modalities[i].code, code) == 0)
            return &modalities[i];
    return NULL;
}

const char *modality_codes(void)
{
    static char text[128];
    size_t len = 0;
    for (size_t i = 0; i < N(modalities) && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
                                i == 0 ? "" : i + 1 == N(modalities) ? " or " : ", ", modalities[i].code);
    return text;
}
