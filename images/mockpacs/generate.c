/* generate.c: builds CT, MR and CR image IODs that dciodvfy accepts. */
#include "generate.h"

#include "rng.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct setter {
    cirr_dicom_dataset *ds;
    cirr_dicom_status status;
};

static void put(struct setter *s, uint32_t tag, const char *value)
{
    if (s->status == CIRR_DICOM_OK)
        s->status = cirr_dicom_set_string(s->ds, tag, value);
}

static void putf(struct setter *s, uint32_t tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void putf(struct setter *s, uint32_t tag, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(s, tag, buf);
}

/* Copy catalog attributes (patient, study, series, instance level). */
static void copy_attrs(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st,
                       unsigned j, unsigned i)
{
    static const uint32_t tags[] = {
        CIRR_TAG_SOP_CLASS_UID, CIRR_TAG_SOP_INSTANCE_UID, CIRR_TAG_PATIENT_NAME,
        CIRR_TAG_PATIENT_ID, CIRR_TAG_PATIENT_BIRTH_DATE, CIRR_TAG_PATIENT_SEX,
        CIRR_TAG_STUDY_INSTANCE_UID, CIRR_TAG_STUDY_DATE, CIRR_TAG_STUDY_TIME,
        CIRR_TAG_ACCESSION_NUMBER, CIRR_TAG_STUDY_ID, CIRR_TAG_STUDY_DESCRIPTION,
        CIRR_TAG_REFERRING_PHYSICIAN_NAME, CIRR_TAG_INSTITUTION_NAME, CIRR_TAG_SERIES_INSTANCE_UID,
        CIRR_TAG_MODALITY, CIRR_TAG_SERIES_NUMBER, CIRR_TAG_SERIES_DESCRIPTION,
        CIRR_TAG_INSTANCE_NUMBER, CIRR_TAG_BODY_PART_EXAMINED, CIRR_TAG_STATION_NAME,
        CIRR_TAG_SERIES_DATE,
    };
    char buf[128];
    for (size_t n = 0; n < sizeof tags / sizeof *tags; n++)
        if (catalog_attr(c, k, st, (int)j, (int)i, tags[n], buf, sizeof buf))
            put(s, tags[n], buf);
}

/* One series image per thread, freed when the thread ends. */
struct pixel_cache {
    uint64_t key;
    unsigned rows, cols;
    uint16_t *base;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    struct pixel_cache *c = p;
    free(c->base);
    free(c);
}

static void cache_init(void) { pthread_key_create(&cache_key, cache_free); }

static struct pixel_cache *thread_cache(void)
{
    pthread_once(&cache_once, cache_init);
    struct pixel_cache *c = pthread_getspecific(cache_key);
    if (!c && (c = calloc(1, sizeof *c)) != NULL)
        pthread_setspecific(cache_key, c);
    return c;
}

static void pixels(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i,
                   unsigned rows, unsigned cols)
{
    put(s, CIRR_TAG_SAMPLES_PER_PIXEL, "1");
    put(s, CIRR_TAG_PHOTOMETRIC_INTERPRETATION, "MONOCHROME2");
    putf(s, CIRR_TAG_ROWS, "%u", rows);
    putf(s, CIRR_TAG_COLUMNS, "%u", cols);
    put(s, CIRR_TAG_BITS_ALLOCATED, "16");
    put(s, CIRR_TAG_BITS_STORED, "12");
    put(s, CIRR_TAG_HIGH_BIT, "11");
    put(s, CIRR_TAG_PIXEL_REPRESENTATION, "0");
    if (!c->site->pixels || s->status != CIRR_DICOM_OK)
        return;
    size_t n = (size_t)rows * cols;
    uint16_t *px;
    s->status = cirr_dicom_pixel_buffer(s->ds, n * 2, (void **)&px);
    if (s->status != CIRR_DICOM_OK)
        return;
    /* The series' image (a disc phantom with a fine texture) is made once
     * per thread and series; each slice differs in its first row, which
     * carries the instance number. */
    struct pixel_cache *cache = thread_cache();
    uint64_t key = rng_hash(c->site->seed, 6, k, j);
    if (!cache) {
        s->status = CIRR_DICOM_ERROR_MEMORY;
        return;
    }
    if (!cache->base || cache->key != key || cache->rows != rows || cache->cols != cols) {
        free(cache->base);
        cache->base = malloc(n * 2);
        if (!cache->base) {
            s->status = CIRR_DICOM_ERROR_MEMORY;
            return;
        }
        long cx = cols / 2, cy = rows / 2, r = (long)(rows / 3 + (key % (rows / 8 + 1)));
        for (unsigned y = 0; y < rows; y++)
            for (unsigned x = 0; x < cols; x++) {
                long dx = (long)x - cx, dy = (long)y - cy;
                cache->base[(size_t)y * cols + x] =
                    (uint16_t)(dx * dx + dy * dy < r * r ? 1000 + ((x ^ y ^ (unsigned)key) & 0x3ff) : 24);
            }
        cache->key = key;
        cache->rows = rows;
        cache->cols = cols;
    }
    memcpy(px, cache->base, n * 2);
    for (unsigned x = 0; x < cols; x++)
        px[x] = (uint16_t)((i + 1) & 0xfff);
}

static void plane(struct setter *s, unsigned i, double spacing, double thickness)
{
    putf(s, CIRR_TAG_PIXEL_SPACING, "%.4g\\%.4g", spacing, spacing);
    put(s, CIRR_TAG_IMAGE_ORIENTATION_PATIENT, "1\\0\\0\\0\\1\\0");
    putf(s, CIRR_TAG_IMAGE_POSITION_PATIENT, "-125\\-125\\%.2f", -100.0 + i * thickness);
    putf(s, CIRR_TAG_SLICE_THICKNESS, "%.4g", thickness);
    putf(s, CIRR_TAG_SLICE_LOCATION, "%.2f", -100.0 + i * thickness);
}

static void ct(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, CIRR_TAG_IMAGE_TYPE, j == 0 ? "ORIGINAL\\PRIMARY\\LOCALIZER" : "ORIGINAL\\PRIMARY\\AXIAL");
    put(s, CIRR_TAG_KVP, "120");
    putf(s, CIRR_TAG_ACQUISITION_NUMBER, "%u", j + 1);
    put(s, CIRR_TAG_RESCALE_INTERCEPT, "-1024");
    put(s, CIRR_TAG_RESCALE_SLOPE, "1");
    put(s, CIRR_TAG_WINDOW_CENTER, "40");
    put(s, CIRR_TAG_WINDOW_WIDTH, "400");
    plane(s, i, 0.7, 5.0);
    pixels(s, c, k, j, i, 512, 512);
}

static void mr(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY\\OTHER");
    put(s, CIRR_TAG_SCANNING_SEQUENCE, "SE");
    put(s, CIRR_TAG_SEQUENCE_VARIANT, "NONE");
    put(s, CIRR_TAG_SCAN_OPTIONS, "");
    put(s, CIRR_TAG_MR_ACQUISITION_TYPE, "2D");
    put(s, CIRR_TAG_REPETITION_TIME, j == 1 ? "4000" : "500");
    put(s, CIRR_TAG_ECHO_TIME, j == 1 ? "90" : "15");
    put(s, CIRR_TAG_ECHO_TRAIN_LENGTH, "1");
    put(s, CIRR_TAG_MAGNETIC_FIELD_STRENGTH, "1.5");
    putf(s, CIRR_TAG_ACQUISITION_NUMBER, "%u", j + 1);
    plane(s, i, 0.9, 4.0);
    pixels(s, c, k, j, i, 256, 256);
}

static void cr(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, CIRR_TAG_VIEW_POSITION, j == 0 ? "PA" : "LL");
    put(s, CIRR_TAG_PATIENT_ORIENTATION, j == 0 ? "L\\F" : "A\\F");
    put(s, CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY");
    pixels(s, c, k, j, i, 2048, 2048);
}

/* Digital X-Ray, For Presentation (PS3.3 A.26). */
static void dx(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st, unsigned j,
               unsigned i)
{
    put(s, CIRR_TAG_PRESENTATION_INTENT_TYPE, "FOR PRESENTATION");
    put(s, CIRR_TAG_IMAGE_TYPE, "ORIGINAL\\PRIMARY");
    put(s, CIRR_TAG_VIEW_POSITION, j == 0 ? "PA" : "LL");
    put(s, CIRR_TAG_PATIENT_ORIENTATION, j == 0 ? "L\\F" : "A\\F");
    put(s, CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP, "LIN");
    put(s, CIRR_TAG_PIXEL_INTENSITY_RELATIONSHIP_SIGN, "1");
    put(s, CIRR_TAG_RESCALE_INTERCEPT, "0");
    put(s, CIRR_TAG_RESCALE_SLOPE, "1");
    put(s, CIRR_TAG_RESCALE_TYPE, "US");
    put(s, CIRR_TAG_PRESENTATION_LUT_SHAPE, "IDENTITY");
    put(s, CIRR_TAG_LOSSY_IMAGE_COMPRESSION, "00");
    put(s, CIRR_TAG_BURNED_IN_ANNOTATION, "NO");
    put(s, CIRR_TAG_WINDOW_CENTER, "2048");
    put(s, CIRR_TAG_WINDOW_WIDTH, "4096");
    put(s, CIRR_TAG_DETECTOR_TYPE, "SCINTILLATOR");
    put(s, CIRR_TAG_IMAGER_PIXEL_SPACING, "0.15\\0.15");
    /* type 2: present, may be empty */
    static const uint32_t empty[] = {CIRR_TAG_ACQUISITION_CONTEXT_SEQUENCE /* AcquisitionContextSequence */,
                                     CIRR_TAG_POSITIONER_TYPE /* PositionerType */};
    /* Anatomic Region Sequence: the body part, coded (SNOMED CT, DICOM CID 4031) */
    static const struct { const char *part, *code, *meaning; } regions[] = {
        {"CHEST", "51185008", "Chest"}, {"KNEE", "72696002", "Knee"}, {"PELVIS", "12921003", "Pelvis"}};
    char part[32] = "";
    catalog_attr(c, k, st, -1, -1, CIRR_TAG_BODY_PART_EXAMINED, part, sizeof part);
    for (size_t n = 0; n < sizeof regions / sizeof *regions; n++)
        if (!strcmp(part, regions[n].part) && s->status == CIRR_DICOM_OK) {
            s->status = cirr_dicom_set_in_item(s->ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, 0,
                                               CIRR_TAG_CODE_VALUE, regions[n].code);
            if (s->status == CIRR_DICOM_OK)
                s->status = cirr_dicom_set_in_item(s->ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, 0,
                                                   CIRR_TAG_CODING_SCHEME_DESIGNATOR, "SCT");
            if (s->status == CIRR_DICOM_OK)
                s->status = cirr_dicom_set_in_item(s->ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, 0,
                                                   CIRR_TAG_CODE_MEANING, regions[n].meaning);
        }
    for (size_t n = 0; n < sizeof empty / sizeof *empty && s->status == CIRR_DICOM_OK; n++)
        s->status = cirr_dicom_set_empty(s->ds, empty[n]);
    char desc[128] = "";
    catalog_attr(c, k, st, -1, -1, CIRR_TAG_STUDY_DESCRIPTION, desc, sizeof desc);
    put(s, CIRR_TAG_IMAGE_LATERALITY, strstr(desc, "LEFT") ? "L" : strstr(desc, "RIGHT") ? "R" : "U");
    pixels(s, c, k, j, i, 2048, 2048);
}

cirr_dicom_status generate_instance(const struct catalog *c, uint32_t k, const struct study *st,
                                    unsigned j, unsigned i, cirr_dicom_dataset **out)
{
    struct setter s = {NULL, cirr_dicom_dataset_new(&s.ds)};
    if (s.status != CIRR_DICOM_OK)
        return s.status;
    char buf[128];
    put(&s, CIRR_TAG_SPECIFIC_CHARACTER_SET, "ISO_IR 100");
    copy_attrs(&s, c, k, st, j, i);
    putf(&s, CIRR_TAG_CONTENT_DATE, "%08u", st->date);
    putf(&s, CIRR_TAG_CONTENT_TIME, "%06u", st->time);
    put(&s, CIRR_TAG_MANUFACTURER, "CIRR MOCKPACS");
    put(&s, CIRR_TAG_MANUFACTURER_MODEL_NAME, "SIMULATED");
    put(&s, CIRR_TAG_DEVICE_SERIAL_NUMBER, "0");
    /* Paired body parts need Laterality (General Series, type 2C). */
    if (catalog_attr(c, k, st, (int)j, (int)i, CIRR_TAG_STUDY_DESCRIPTION, buf, sizeof buf) &&
        (strstr(buf, "LEFT") || strstr(buf, "RIGHT")))
        put(&s, CIRR_TAG_LATERALITY, strstr(buf, "LEFT") ? "L" : "R");
    const char *m = catalog_modality(c, st);
    if (strcmp(m, "CR") != 0) {
        catalog_uid(c, k, -1, -1, buf, sizeof buf);
        putf(&s, CIRR_TAG_FRAME_OF_REFERENCE_UID, "%s.0", buf); /* frame of reference: one per study */
        put(&s, CIRR_TAG_POSITION_REFERENCE_INDICATOR, "");
        put(&s, CIRR_TAG_PATIENT_POSITION, "HFS");
    }
    if (strcmp(m, "CT") == 0)
        ct(&s, c, k, j, i);
    else if (strcmp(m, "MR") == 0)
        mr(&s, c, k, j, i);
    else if (strcmp(m, "DX") == 0)
        dx(&s, c, k, st, j, i);
    else
        cr(&s, c, k, j, i);
    if (s.status != CIRR_DICOM_OK) {
        cirr_dicom_dataset_free(s.ds);
        return s.status;
    }
    *out = s.ds;
    return CIRR_DICOM_OK;
}
