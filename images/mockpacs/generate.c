/* generate.c: builds CT, MR and CR image IODs that dciodvfy accepts. */
#include "generate.h"

#include "rng.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T CIRR_TAG

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
        T(0x0008, 0x0016), T(0x0008, 0x0018), T(0x0010, 0x0010), T(0x0010, 0x0020), T(0x0010, 0x0030),
        T(0x0010, 0x0040), T(0x0020, 0x000D), T(0x0008, 0x0020), T(0x0008, 0x0030), T(0x0008, 0x0050),
        T(0x0020, 0x0010), T(0x0008, 0x1030), T(0x0008, 0x0090), T(0x0008, 0x0080), T(0x0020, 0x000E),
        T(0x0008, 0x0060), T(0x0020, 0x0011), T(0x0008, 0x103E), T(0x0020, 0x0013), T(0x0018, 0x0015),
        T(0x0008, 0x1010), T(0x0008, 0x0021),
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
    put(s, T(0x0028, 0x0002), "1");
    put(s, T(0x0028, 0x0004), "MONOCHROME2");
    putf(s, T(0x0028, 0x0010), "%u", rows);
    putf(s, T(0x0028, 0x0011), "%u", cols);
    put(s, T(0x0028, 0x0100), "16");
    put(s, T(0x0028, 0x0101), "12");
    put(s, T(0x0028, 0x0102), "11");
    put(s, T(0x0028, 0x0103), "0");
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
    putf(s, T(0x0028, 0x0030), "%.4g\\%.4g", spacing, spacing);
    put(s, T(0x0020, 0x0037), "1\\0\\0\\0\\1\\0");
    putf(s, T(0x0020, 0x0032), "-125\\-125\\%.2f", -100.0 + i * thickness);
    putf(s, T(0x0018, 0x0050), "%.4g", thickness);
    putf(s, T(0x0020, 0x1041), "%.2f", -100.0 + i * thickness);
}

static void ct(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, T(0x0008, 0x0008), j == 0 ? "ORIGINAL\\PRIMARY\\LOCALIZER" : "ORIGINAL\\PRIMARY\\AXIAL");
    put(s, T(0x0018, 0x0060), "120");
    putf(s, T(0x0020, 0x0012), "%u", j + 1);
    put(s, T(0x0028, 0x1052), "-1024");
    put(s, T(0x0028, 0x1053), "1");
    put(s, T(0x0028, 0x1050), "40");
    put(s, T(0x0028, 0x1051), "400");
    plane(s, i, 0.7, 5.0);
    pixels(s, c, k, j, i, 512, 512);
}

static void mr(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, T(0x0008, 0x0008), "ORIGINAL\\PRIMARY\\OTHER");
    put(s, T(0x0018, 0x0020), "SE");
    put(s, T(0x0018, 0x0021), "NONE");
    put(s, T(0x0018, 0x0022), "");
    put(s, T(0x0018, 0x0023), "2D");
    put(s, T(0x0018, 0x0080), j == 1 ? "4000" : "500");
    put(s, T(0x0018, 0x0081), j == 1 ? "90" : "15");
    put(s, T(0x0018, 0x0091), "1");
    put(s, T(0x0018, 0x0087), "1.5");
    putf(s, T(0x0020, 0x0012), "%u", j + 1);
    plane(s, i, 0.9, 4.0);
    pixels(s, c, k, j, i, 256, 256);
}

static void cr(struct setter *s, const struct catalog *c, uint32_t k, unsigned j, unsigned i)
{
    put(s, T(0x0018, 0x5101), j == 0 ? "PA" : "LL");
    put(s, T(0x0020, 0x0020), j == 0 ? "L\\F" : "A\\F");
    put(s, T(0x0008, 0x0008), "ORIGINAL\\PRIMARY");
    pixels(s, c, k, j, i, 2048, 2048);
}

/* Digital X-Ray, For Presentation (PS3.3 A.26). */
static void dx(struct setter *s, const struct catalog *c, uint32_t k, const struct study *st, unsigned j,
               unsigned i)
{
    put(s, T(0x0008, 0x0068), "FOR PRESENTATION");
    put(s, T(0x0008, 0x0008), "ORIGINAL\\PRIMARY");
    put(s, T(0x0018, 0x5101), j == 0 ? "PA" : "LL");
    put(s, T(0x0020, 0x0020), j == 0 ? "L\\F" : "A\\F");
    put(s, T(0x0028, 0x1040), "LIN");
    put(s, T(0x0028, 0x1041), "1");
    put(s, T(0x0028, 0x1052), "0");
    put(s, T(0x0028, 0x1053), "1");
    put(s, T(0x0028, 0x1054), "US");
    put(s, T(0x2050, 0x0020), "IDENTITY");
    put(s, T(0x0028, 0x2110), "00");
    put(s, T(0x0028, 0x0301), "NO");
    put(s, T(0x0028, 0x1050), "2048");
    put(s, T(0x0028, 0x1051), "4096");
    put(s, T(0x0018, 0x7004), "SCINTILLATOR");
    put(s, T(0x0018, 0x1164), "0.15\\0.15");
    /* type 2: present, may be empty */
    static const uint32_t empty[] = {T(0x0040, 0x0555) /* AcquisitionContextSequence */,
                                     T(0x0018, 0x1508) /* PositionerType */};
    /* Anatomic Region Sequence: the body part, coded (SNOMED CT, DICOM CID 4031) */
    static const struct { const char *part, *code, *meaning; } regions[] = {
        {"CHEST", "51185008", "Chest"}, {"KNEE", "72696002", "Knee"}, {"PELVIS", "12921003", "Pelvis"}};
    char part[32] = "";
    catalog_attr(c, k, st, -1, -1, T(0x0018, 0x0015), part, sizeof part);
    for (size_t n = 0; n < sizeof regions / sizeof *regions; n++)
        if (!strcmp(part, regions[n].part) && s->status == CIRR_DICOM_OK) {
            s->status = cirr_dicom_set_in_item(s->ds, T(0x0008, 0x2218), 0, T(0x0008, 0x0100), regions[n].code);
            if (s->status == CIRR_DICOM_OK)
                s->status = cirr_dicom_set_in_item(s->ds, T(0x0008, 0x2218), 0, T(0x0008, 0x0102), "SCT");
            if (s->status == CIRR_DICOM_OK)
                s->status = cirr_dicom_set_in_item(s->ds, T(0x0008, 0x2218), 0, T(0x0008, 0x0104), regions[n].meaning);
        }
    for (size_t n = 0; n < sizeof empty / sizeof *empty && s->status == CIRR_DICOM_OK; n++)
        s->status = cirr_dicom_set_empty(s->ds, empty[n]);
    char desc[128] = "";
    catalog_attr(c, k, st, -1, -1, T(0x0008, 0x1030), desc, sizeof desc);
    put(s, T(0x0020, 0x0062), strstr(desc, "LEFT") ? "L" : strstr(desc, "RIGHT") ? "R" : "U");
    pixels(s, c, k, j, i, 2048, 2048);
}

cirr_dicom_status generate_instance(const struct catalog *c, uint32_t k, const struct study *st,
                                    unsigned j, unsigned i, cirr_dicom_dataset **out)
{
    struct setter s = {NULL, cirr_dicom_dataset_new(&s.ds)};
    if (s.status != CIRR_DICOM_OK)
        return s.status;
    char buf[128];
    put(&s, T(0x0008, 0x0005), "ISO_IR 100");
    copy_attrs(&s, c, k, st, j, i);
    putf(&s, T(0x0008, 0x0023), "%08u", st->date);
    putf(&s, T(0x0008, 0x0033), "%06u", st->time);
    put(&s, T(0x0008, 0x0070), "CIRR MOCKPACS");
    put(&s, T(0x0008, 0x1090), "SIMULATED");
    put(&s, T(0x0018, 0x1000), "0");
    /* Paired body parts need Laterality (General Series, type 2C). */
    if (catalog_attr(c, k, st, (int)j, (int)i, T(0x0008, 0x1030), buf, sizeof buf) &&
        (strstr(buf, "LEFT") || strstr(buf, "RIGHT")))
        put(&s, T(0x0020, 0x0060), strstr(buf, "LEFT") ? "L" : "R");
    const char *m = catalog_modality(c, st);
    if (strcmp(m, "CR") != 0) {
        catalog_uid(c, k, -1, -1, buf, sizeof buf);
        putf(&s, T(0x0020, 0x0052), "%s.0", buf); /* frame of reference: one per study */
        put(&s, T(0x0020, 0x1040), "");
        put(&s, T(0x0018, 0x5100), "HFS");
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
