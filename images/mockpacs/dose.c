/* dose.c: the CT Radiation Dose SR of a CT study (DICOM PS3.16 TID 10011,
 * X-Ray Radiation Dose SR IOD): one irradiation event per image series of
 * the study (the scout a constant angle acquisition, the axial series a
 * spiral one over its slices), with CTDIvol drawn from the seed and DLP =
 * CTDIvol x scanning length, so that the report agrees with the images. */
#include "dose.h"

#include "cirr_dicom_sr.h"
#include "rng.h"

#include <stdio.h>
#include <string.h>

/* The SR attributes the named tags (cirr_dicom_tags.h) do not have. */
#define TAG_CONTENT_SEQUENCE CIRR_TAG(0x0040, 0xA730)
#define TAG_RELATIONSHIP_TYPE CIRR_TAG(0x0040, 0xA010)
#define TAG_VALUE_TYPE CIRR_TAG(0x0040, 0xA040)
#define TAG_CONCEPT_NAME_CODE_SEQUENCE CIRR_TAG(0x0040, 0xA043)
#define TAG_CONCEPT_CODE_SEQUENCE CIRR_TAG(0x0040, 0xA168)
#define TAG_MEASURED_VALUE_SEQUENCE CIRR_TAG(0x0040, 0xA300)
#define TAG_MEASUREMENT_UNITS_CODE_SEQUENCE CIRR_TAG(0x0040, 0x08EA)
#define TAG_NUMERIC_VALUE CIRR_TAG(0x0040, 0xA30A)
#define TAG_TEXT_VALUE CIRR_TAG(0x0040, 0xA160)
#define TAG_UID CIRR_TAG(0x0040, 0xA124)
#define TAG_DATE_TIME CIRR_TAG(0x0040, 0xA120)
#define TAG_CONTINUITY_OF_CONTENT CIRR_TAG(0x0040, 0xA050)
#define TAG_CONTENT_TEMPLATE_SEQUENCE CIRR_TAG(0x0040, 0xA504)
#define TAG_MAPPING_RESOURCE CIRR_TAG(0x0008, 0x0105)
#define TAG_TEMPLATE_IDENTIFIER CIRR_TAG(0x0040, 0xDB00)
#define TAG_COMPLETION_FLAG CIRR_TAG(0x0040, 0xA491)
#define TAG_VERIFICATION_FLAG CIRR_TAG(0x0040, 0xA493)
#define TAG_PERFORMED_PROCEDURES_CODE_SEQUENCE CIRR_TAG(0x0040, 0xA372)
#define TAG_REFERENCED_PPS_SEQUENCE CIRR_TAG(0x0008, 0x1111)
#define TAG_SOFTWARE_VERSIONS CIRR_TAG(0x0018, 0x1020)

/* A coded concept: value, scheme, meaning. */
struct code {
    const char *value, *scheme, *meaning;
};

static const struct code
    report = {"113701", "DCM", "X-Ray Radiation Dose Report"},
    procedure_reported = {"121058", "DCM", "Procedure reported"},
    ct_procedure = {"77477000", "SCT", "Computed Tomography X-Ray"},
    observer_type = {"121005", "DCM", "Observer Type"}, device = {"121007", "DCM", "Device"},
    device_uid = {"121012", "DCM", "Device Observer UID"},
    start = {"113809", "DCM", "Start of X-Ray Irradiation"}, end = {"113810", "DCM", "End of X-Ray Irradiation"},
    scope = {"113705", "DCM", "Scope of Accumulation"}, study_scope = {"113014", "DCM", "Study"},
    study_uid = {"110180", "DCM", "Study Instance UID"},
    accumulated = {"113811", "DCM", "CT Accumulated Dose Data"},
    events = {"113812", "DCM", "Total Number of Irradiation Events"},
    dlp_total = {"113813", "DCM", "CT Dose Length Product Total"},
    acquisition = {"113819", "DCM", "CT Acquisition"}, protocol = {"125203", "DCM", "Acquisition Protocol"},
    target = {"123014", "DCM", "Target Region"}, acq_type = {"113820", "DCM", "CT Acquisition Type"},
    spiral = {"116152004", "SCT", "Spiral Acquisition"},
    constant_angle = {"113805", "DCM", "Constant Angle Acquisition"},
    event_uid = {"113769", "DCM", "Irradiation Event UID"},
    parameters = {"113822", "DCM", "CT Acquisition Parameters"}, exposure = {"113824", "DCM", "Exposure Time"},
    length = {"113825", "DCM", "Scanning Length"},
    single_coll = {"113826", "DCM", "Nominal Single Collimation Width"},
    total_coll = {"113827", "DCM", "Nominal Total Collimation Width"}, pitch = {"113828", "DCM", "Pitch Factor"},
    sources = {"113823", "DCM", "Number of X-Ray Sources"},
    source = {"113831", "DCM", "CT X-Ray Source Parameters"},
    source_id = {"113832", "DCM", "Identification of the X-Ray Source"}, kvp = {"113733", "DCM", "KVP"},
    max_ma = {"113833", "DCM", "Maximum X-Ray Tube Current"}, ma = {"113734", "DCM", "X-Ray Tube Current"},
    rotation = {"113834", "DCM", "Exposure Time per Rotation"}, ct_dose = {"113829", "DCM", "CT Dose"},
    ctdivol = {"113830", "DCM", "Mean CTDIvol"}, phantom = {"113835", "DCM", "CTDIw Phantom Type"},
    head_phantom = {"113690", "DCM", "IEC Head Dosimetry Phantom"},
    body_phantom = {"113691", "DCM", "IEC Body Dosimetry Phantom"}, dlp = {"113838", "DCM", "DLP"};

/* Units (UCUM). */
static const struct code mgy = {"mGy", "UCUM", "mGy"}, mgycm = {"mGy.cm", "UCUM", "mGy.cm"},
                         mm = {"mm", "UCUM", "mm"}, sec = {"s", "UCUM", "s"}, kv = {"kV", "UCUM", "kV"},
                         milliamp = {"mA", "UCUM", "mA"}, ratio = {"{ratio}", "UCUM", "ratio"},
                         count_events = {"{events}", "UCUM", "events"},
                         count_sources = {"{X-Ray sources}", "UCUM", "X-Ray sources"};

/* Target regions by the study's body part (SNOMED CT). */
static const struct {
    const char *body_part;
    struct code region;
} regions[] = {
    {"HEAD", {"69536005", "SCT", "Head"}},
    {"CHEST", {"51185008", "SCT", "Chest"}},
    {"ABDOMEN", {"416949008", "SCT", "Abdomen and Pelvis"}},
    {"CSPINE", {"122494005", "SCT", "Cervical spine"}},
};

struct builder {
    cirr_dicom_status status;
};

static void set(struct builder *b, cirr_dicom_item *it, uint32_t tag, const char *value)
{
    if (b->status == CIRR_DICOM_OK)
        b->status = cirr_dicom_item_set(it, tag, value);
}

/* A new item holding a code, appended to sequence seq of parent. */
static void code_item(struct builder *b, cirr_dicom_item *parent, uint32_t seq, const struct code *c)
{
    cirr_dicom_item *it = NULL;
    if (b->status == CIRR_DICOM_OK)
        b->status = cirr_dicom_item_append(parent, seq, &it);
    set(b, it, CIRR_TAG_CODE_VALUE, c->value);
    set(b, it, CIRR_TAG_CODING_SCHEME_DESIGNATOR, c->scheme);
    set(b, it, CIRR_TAG_CODE_MEANING, c->meaning);
}

/* A content item (relationship, value type, concept name) under parent. */
static cirr_dicom_item *content(struct builder *b, cirr_dicom_item *parent, const char *rel, const char *type,
                                const struct code *name)
{
    cirr_dicom_item *it = NULL;
    if (b->status == CIRR_DICOM_OK)
        b->status = cirr_dicom_item_append(parent, TAG_CONTENT_SEQUENCE, &it);
    set(b, it, TAG_RELATIONSHIP_TYPE, rel);
    set(b, it, TAG_VALUE_TYPE, type);
    code_item(b, it, TAG_CONCEPT_NAME_CODE_SEQUENCE, name);
    if (!strcmp(type, "CONTAINER"))
        set(b, it, TAG_CONTINUITY_OF_CONTENT, "SEPARATE");
    return b->status == CIRR_DICOM_OK ? it : NULL;
}

static void num(struct builder *b, cirr_dicom_item *parent, const struct code *name, double v,
                const struct code *unit)
{
    char text[32];
    cirr_dicom_item *it = content(b, parent, "CONTAINS", "NUM", name), *mv = NULL;
    if (b->status == CIRR_DICOM_OK)
        b->status = cirr_dicom_item_append(it, TAG_MEASURED_VALUE_SEQUENCE, &mv);
    code_item(b, mv, TAG_MEASUREMENT_UNITS_CODE_SEQUENCE, unit);
    snprintf(text, sizeof text, "%.6g", v);
    set(b, mv, TAG_NUMERIC_VALUE, text);
}

static cirr_dicom_item *coded(struct builder *b, cirr_dicom_item *parent, const char *rel, const struct code *name,
                              const struct code *value)
{
    cirr_dicom_item *it = content(b, parent, rel, "CODE", name);
    code_item(b, it, TAG_CONCEPT_CODE_SEQUENCE, value);
    return it;
}

static void text(struct builder *b, cirr_dicom_item *parent, const char *rel, const char *type, uint32_t tag,
                 const struct code *name, const char *value)
{
    set(b, content(b, parent, rel, type, name), tag, value);
}

/* What one irradiation event (an image series) was; the same numbers feed
 * its acquisition and the accumulated totals. */
struct event {
    const char *protocol;
    int spiral;
    double length_mm, ctdivol, dlp, seconds;
};

static void acquisition_item(struct builder *b, cirr_dicom_item *root, const struct event *e,
                             const struct code *region, int head, const char *uid)
{
    cirr_dicom_item *acq = content(b, root, "CONTAINS", "CONTAINER", &acquisition);
    text(b, acq, "CONTAINS", "TEXT", TAG_TEXT_VALUE, &protocol, e->protocol);
    coded(b, acq, "CONTAINS", &target, region);
    coded(b, acq, "CONTAINS", &acq_type, e->spiral ? &spiral : &constant_angle);
    text(b, acq, "CONTAINS", "UIDREF", TAG_UID, &event_uid, uid);
    cirr_dicom_item *par = content(b, acq, "CONTAINS", "CONTAINER", &parameters);
    num(b, par, &exposure, e->seconds, &sec);
    num(b, par, &length, e->length_mm, &mm);
    num(b, par, &single_coll, 0.625, &mm);
    num(b, par, &total_coll, e->spiral ? 40.0 : 0.625, &mm);
    if (e->spiral)
        num(b, par, &pitch, 0.984, &ratio);
    num(b, par, &sources, 1, &count_sources);
    cirr_dicom_item *src = content(b, par, "CONTAINS", "CONTAINER", &source);
    text(b, src, "CONTAINS", "TEXT", TAG_TEXT_VALUE, &source_id, "A");
    num(b, src, &kvp, 120, &kv);
    num(b, src, &max_ma, e->spiral ? 350 : 40, &milliamp);
    num(b, src, &ma, e->spiral ? 280 : 40, &milliamp);
    num(b, src, &rotation, 0.5, &sec);
    cirr_dicom_item *dose = content(b, acq, "CONTAINS", "CONTAINER", &ct_dose);
    num(b, dose, &ctdivol, e->ctdivol, &mgy);
    coded(b, dose, "CONTAINS", &phantom, head ? &head_phantom : &body_phantom);
    num(b, dose, &dlp, e->dlp, &mgycm);
}

/* The study's irradiation events: one per image series, from the seed. */
static unsigned events_of(const struct catalog *c, uint32_t k, const struct study *st, int head, struct event *out,
                          unsigned cap)
{
    const struct modality *m = catalog_modality(c, st);
    unsigned n = 0;
    for (unsigned j = 0; j < m->nseries && n < cap; j++, n++) {
        struct event *e = &out[n];
        uint64_t h = rng_hash(c->site->seed, 7, k, j);
        e->protocol = m->series[j].description;
        e->spiral = !m->series[j].single;
        e->length_mm = e->spiral ? catalog_instance_count(c, st, j) * m->thickness : 300.0;
        double low = e->spiral ? (head ? 40.0 : 8.0) : 0.1, span = e->spiral ? (head ? 20.0 : 12.0) : 0.4;
        /* values as the report writes them (2 decimals), so that the totals add up exactly */
        e->ctdivol = (double)(long)((low + span * (double)(h % 10000) / 10000.0) * 100 + 0.5) / 100;
        e->dlp = (double)(long)(e->ctdivol * e->length_mm / 10.0 * 100 + 0.5) / 100;
        e->seconds = e->spiral ? e->length_mm / 40.0 * 0.5 : 2.0;
    }
    return n;
}

static const struct code *region_of(const struct study_kind *kind)
{
    for (size_t i = 0; i < sizeof regions / sizeof *regions; i++)
        if (!strcmp(kind->body_part, regions[i].body_part))
            return &regions[i].region;
    return &regions[1].region;
}

/* The document's own attributes (SR Document General, Enhanced General
 * Equipment, the root container). */
static void document(struct builder *b, cirr_dicom_item *top, const struct study *st)
{
    char when[32];
    snprintf(when, sizeof when, "%08u", st->date);
    set(b, top, CIRR_TAG_CONTENT_DATE, when);
    snprintf(when, sizeof when, "%06u", st->time);
    set(b, top, CIRR_TAG_CONTENT_TIME, when);
    set(b, top, CIRR_TAG_MANUFACTURER, "CIRR MOCKPACS");
    set(b, top, CIRR_TAG_MANUFACTURER_MODEL_NAME, "SIMULATED");
    set(b, top, CIRR_TAG_DEVICE_SERIAL_NUMBER, "0");
    set(b, top, TAG_SOFTWARE_VERSIONS, "1");
    set(b, top, TAG_COMPLETION_FLAG, "COMPLETE");
    set(b, top, TAG_VERIFICATION_FLAG, "UNVERIFIED");
    set(b, top, TAG_VALUE_TYPE, "CONTAINER");
    set(b, top, TAG_CONTINUITY_OF_CONTENT, "SEPARATE");
    code_item(b, top, TAG_CONCEPT_NAME_CODE_SEQUENCE, &report);
    cirr_dicom_item *tpl = NULL;
    if (b->status == CIRR_DICOM_OK)
        b->status = cirr_dicom_item_append(top, TAG_CONTENT_TEMPLATE_SEQUENCE, &tpl);
    set(b, tpl, TAG_MAPPING_RESOURCE, "DCMR");
    set(b, tpl, TAG_TEMPLATE_IDENTIFIER, "10011");
}

/* Who observed, when, and over what the dose accumulates. */
static void context_items(struct builder *b, cirr_dicom_item *top, const struct study *st, const char *uid)
{
    char dt[32], dev[128];
    coded(b, top, "HAS CONCEPT MOD", &procedure_reported, &ct_procedure);
    coded(b, top, "HAS OBS CONTEXT", &observer_type, &device);
    snprintf(dev, sizeof dev, "%s.0.1", uid);
    text(b, top, "HAS OBS CONTEXT", "UIDREF", TAG_UID, &device_uid, dev);
    snprintf(dt, sizeof dt, "%08u%06u", st->date, st->time);
    text(b, top, "HAS OBS CONTEXT", "DATETIME", TAG_DATE_TIME, &start, dt);
    text(b, top, "HAS OBS CONTEXT", "DATETIME", TAG_DATE_TIME, &end, dt);
    cirr_dicom_item *scoped = coded(b, top, "HAS OBS CONTEXT", &scope, &study_scope);
    text(b, scoped, "HAS PROPERTIES", "UIDREF", TAG_UID, &study_uid, uid);
}

cirr_dicom_status dose_report(cirr_dicom_dataset *ds, const struct catalog *c, uint32_t k, const struct study *st)
{
    struct builder b = {CIRR_DICOM_OK};
    cirr_dicom_item *top = cirr_dicom_item_top(ds);
    const struct study_kind *kind = catalog_study_kind(c, k, st);
    int head = !strcmp(kind->body_part, "HEAD") || !strcmp(kind->body_part, "CSPINE");
    char uid[96], ev_uid[128];
    struct event ev[8];
    catalog_uid(c, k, -1, -1, uid, sizeof uid);
    document(&b, top, st);
    if (b.status == CIRR_DICOM_OK) /* type 2 sequences: present, empty */
        b.status = cirr_dicom_set_empty(ds, TAG_PERFORMED_PROCEDURES_CODE_SEQUENCE);
    if (b.status == CIRR_DICOM_OK)
        b.status = cirr_dicom_set_empty(ds, TAG_REFERENCED_PPS_SEQUENCE);
    context_items(&b, top, st, uid);
    unsigned n = events_of(c, k, st, head, ev, sizeof ev / sizeof *ev);
    double total = 0;
    for (unsigned e = 0; e < n; e++)
        total += ev[e].dlp;
    cirr_dicom_item *acc = content(&b, top, "CONTAINS", "CONTAINER", &accumulated);
    num(&b, acc, &events, n, &count_events);
    num(&b, acc, &dlp_total, total, &mgycm);
    for (unsigned e = 0; e < n; e++) {
        snprintf(ev_uid, sizeof ev_uid, "%s.0.%u", uid, e + 2);
        acquisition_item(&b, top, &ev[e], region_of(kind), head, ev_uid);
    }
    return b.status;
}
