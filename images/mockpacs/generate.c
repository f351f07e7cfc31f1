/* generate.c: builds the image IODs of the modality table (modality.h)
 * that dciodvfy accepts: the catalog's attributes, then what the
 * modality's row says, then synthetic pixels. */
#include "generate.h"

#include "dose.h"

#include "rng.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
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

/* The catalog's attributes (patient, study, series, instance level), in
 * the very text its C-FIND answers carry. */
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

static void put_attrs(struct setter *s, const struct modality_attr *a, size_t n)
{
    for (size_t x = 0; x < n && a[x].tag; x++) {
        if (!a[x].value && s->status == CIRR_DICOM_OK)
            s->status = cirr_dicom_set_empty(s->ds, a[x].tag); /* type 2: present, may be empty */
        else if (a[x].value)
            put(s, a[x].tag, a[x].value);
    }
}

static void plane(struct setter *s, unsigned i, double spacing, double thickness)
{
    putf(s, CIRR_TAG_PIXEL_SPACING, "%.4g\\%.4g", spacing, spacing);
    put(s, CIRR_TAG_IMAGE_ORIENTATION_PATIENT, "1\\0\\0\\0\\1\\0");
    putf(s, CIRR_TAG_IMAGE_POSITION_PATIENT, "-125\\-125\\%.2f", -100.0 + i * thickness);
    putf(s, CIRR_TAG_SLICE_THICKNESS, "%.4g", thickness);
    putf(s, CIRR_TAG_SLICE_LOCATION, "%.2f", -100.0 + i * thickness);
}

/* The body part, coded: one item of the Anatomic Region Sequence. */
static void anatomic_region(struct setter *s, const struct study_kind *kind)
{
    const struct modality_attr code[] = {{CIRR_TAG_CODE_VALUE, kind->region_code},
                                         {CIRR_TAG_CODING_SCHEME_DESIGNATOR, "SCT"},
                                         {CIRR_TAG_CODE_MEANING, kind->region_meaning}};
    for (size_t n = 0; n < sizeof code / sizeof *code && s->status == CIRR_DICOM_OK; n++)
        s->status = cirr_dicom_set_in_item(s->ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, 0, code[n].tag, code[n].value);
}

/* Content date and time, equipment, laterality: every image's. */
static void equipment(struct setter *s, const struct study *st, const struct study_kind *kind)
{
    putf(s, CIRR_TAG_CONTENT_DATE, "%08u", st->date);
    putf(s, CIRR_TAG_CONTENT_TIME, "%06u", st->time);
    put(s, CIRR_TAG_MANUFACTURER, "CIRR MOCKPACS");
    put(s, CIRR_TAG_MANUFACTURER_MODEL_NAME, "SIMULATED");
    put(s, CIRR_TAG_DEVICE_SERIAL_NUMBER, "0");
    /* Paired body parts need Laterality (General Series, type 2C). */
    if (strstr(kind->description, "LEFT") || strstr(kind->description, "RIGHT"))
        put(s, CIRR_TAG_LATERALITY, strstr(kind->description, "LEFT") ? "L" : "R");
}

/* Study and series level attributes that are not the catalog's. */
static void context(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st,
                    const struct study_kind *kind)
{
    char uid[96];
    equipment(s, st, kind);
    if (catalog_modality(c, st)->frame_of_reference) {
        catalog_uid(c, k, -1, -1, uid, sizeof uid);
        putf(s, CIRR_TAG_FRAME_OF_REFERENCE_UID, "%s.0", uid); /* one per study */
        put(s, CIRR_TAG_POSITION_REFERENCE_INDICATOR, "");
        put(s, CIRR_TAG_PATIENT_POSITION, "HFS");
    }
}

/* What the modality's row says of its images, and of series j's. */
static void image(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st,
                  const struct study_kind *kind, unsigned j, unsigned i)
{
    const struct modality *m = catalog_modality(c, st);
    const struct series_kind *series = &m->series[j % m->nseries];
    put_attrs(s, m->attrs, SIZE_MAX);
    put_attrs(s, series->attrs, sizeof series->attrs / sizeof *series->attrs);
    if (m->spacing > 0)
        plane(s, i, m->spacing, m->thickness);
    if (kind->region_code)
        anatomic_region(s, kind);
    if (m->image_laterality)
        put(s, CIRR_TAG_IMAGE_LATERALITY, strstr(kind->description, "LEFT") ? "L" : strstr(kind->description, "RIGHT") ? "R" : "U");
    pixels(s, c, k, j, i, m->rows, m->cols);
}

#define CONVERSION_TYPE CIRR_TAG(0x0008, 0x0064) /* SC Equipment module, type 1 */
#define CAPTURE_SIZE 256

/* A screen capture (Secondary Capture Image, PS3.3 A.8.1) of the study:
 * a workstation's snapshot, whose pixels are declared to carry the
 * patient's identity as text (BurnedInAnnotation YES). */
static void capture(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st,
                    const struct study_kind *kind, unsigned j)
{
    equipment(s, st, kind);
    put(s, CONVERSION_TYPE, "WSD");
    put(s, CIRR_TAG_IMAGE_TYPE, "DERIVED\\SECONDARY");
    put(s, CIRR_TAG_PATIENT_ORIENTATION, "");
    put(s, CIRR_TAG_BURNED_IN_ANNOTATION, "YES");
    pixels(s, c, k, j, 0, CAPTURE_SIZE, CAPTURE_SIZE);
}

cirr_dicom_status generate_instance(const struct catalog *c, uint32_t k, const struct study *st,
                                    unsigned j, unsigned i, cirr_dicom_dataset **out)
{
    struct setter s = {NULL, cirr_dicom_dataset_new(&s.ds)};
    if (s.status != CIRR_DICOM_OK)
        return s.status;
    const struct study_kind *kind = catalog_study_kind(c, k, st);
    put(&s, CIRR_TAG_SPECIFIC_CHARACTER_SET, "ISO_IR 100");
    copy_attrs(&s, c, k, st, j, i);
    if (catalog_is_dose_series(c, st, j) && s.status == CIRR_DICOM_OK) {
        s.status = dose_report(s.ds, c, k, st);
    } else if (catalog_is_capture_series(c, st, j)) {
        capture(&s, c, k, st, kind, j);
    } else {
        context(&s, c, k, st, kind);
        image(&s, c, k, st, kind, j, i);
    }
    if (s.status != CIRR_DICOM_OK) {
        cirr_dicom_dataset_free(s.ds);
        return s.status;
    }
    *out = s.ds;
    return CIRR_DICOM_OK;
}
