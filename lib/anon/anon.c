/* anon.c: anon_dataset, one walk over every element at every depth, then
 * the attributes that record what was done. */
#include "anon/anon.h"
#include "anon/action.h"
#include "anon/private.h"
#include "anon/pseudonym.h"
#include "anon/quarantine.h"

#include <stdio.h>
#include <string.h>

#define TAG_PATIENT_IDENTITY_REMOVED CIRR_TAG(0x0012, 0x0062)
#define TAG_DEIDENTIFICATION_METHOD CIRR_TAG(0x0012, 0x0063)
#define TAG_DEIDENTIFICATION_METHOD_CODES CIRR_TAG(0x0012, 0x0064)
#define TAG_LONGITUDINAL_TEMPORAL_MODIFIED CIRR_TAG(0x0028, 0x0303)
#define TAG_REFERENCED_PPS_SEQUENCE CIRR_TAG(0x0008, 0x1111)

void anon_patient_token(const struct anon_key *key, const char *patient_id, char out[ANON_TOKEN_SIZE])
{
    pseudonym_token(key, "patient", 'P', patient_id, out);
}

/* The identifiers that become keyed tokens rather than empty values: a
 * research collection needs its patients, studies and accessions apart
 * (an emptied StudyID lets a PACS merge same-day studies). PatientName
 * gets the PatientID's token, so that name and ID agree. */
static int token(const cirr_dicom_element *e, const struct anon_walk *w, char *out, size_t cap)
{
    char t[ANON_TOKEN_SIZE];
    switch (e->tag) {
    case CIRR_TAG_PATIENT_ID:
    case CIRR_TAG_PATIENT_NAME:
        anon_patient_token(w->key, *w->patient_id ? w->patient_id : e->value, t);
        break;
    case CIRR_TAG_ACCESSION_NUMBER:
        pseudonym_token(w->key, "accession", 'A', e->value, t);
        break;
    case CIRR_TAG_STUDY_ID:
        pseudonym_token(w->key, "study", 'S', e->value, t);
        break;
    default:
        return 0;
    }
    snprintf(out, cap, "%s", t);
    return 1;
}

static int is_tokenized(uint32_t tag)
{
    return tag == CIRR_TAG_PATIENT_ID || tag == CIRR_TAG_PATIENT_NAME || tag == CIRR_TAG_ACCESSION_NUMBER ||
           tag == CIRR_TAG_STUDY_ID;
}

/* Curves (50xx,eeee) and overlay data and comments (60xx,3000/4000): X. */
static int repeating_group_removed(uint32_t tag)
{
    uint16_t group = (uint16_t)(tag >> 16), element = (uint16_t)(tag & 0xffff);
    if ((group & 0xff00) == 0x5000)
        return 1;
    return (group & 0xff00) == 0x6000 && (element == 0x3000 || element == 0x4000);
}

/* The one IOD whose needs lib/anon knows: an SR document's header.
 * Content Date and Time (Z/D) are Type 1 there, so D; the Referenced
 * Performed Procedure Step Sequence (X/Z/D) is Type 2, so Z (present,
 * no items) rather than X. */
static cirr_dicom_edit_action sr_header_action(enum anon_code code, const cirr_dicom_element *e,
                                               const struct anon_walk *w, char *out, size_t cap)
{
    if (code == ANON_ZD)
        code = ANON_D;
    if (e->tag == TAG_REFERENCED_PPS_SEQUENCE && code == ANON_XZD)
        return CIRR_DICOM_EDIT_EMPTY;
    return action_apply(code, e, w, out, cap);
}

static int is_structured_report(const cirr_dicom_dataset *ds)
{
    char sop_class[80];
    return cirr_dicom_get_string(ds, CIRR_TAG_SOP_CLASS_UID, sop_class, sizeof sop_class) == CIRR_DICOM_OK &&
           !strncmp(sop_class, "1.2.840.10008.5.1.4.1.1.88.", 27);
}

/* The code for e (the SR header's own rules aside: see decide), or
 * ANON_NONE with *ask set when it depends on a value not converted yet. */
static enum anon_code code_for(const cirr_dicom_element *e, const struct anon_walk *w, int *ask)
{
    const struct anon_rule *rule = anon_profile_rule(e->tag);
    *ask = !rule && e->value_deferred && !strcmp(e->vr, "UI"); /* a UID by its root: see action_code_by_vr */
    if (*ask)
        return ANON_NONE;
    return rule ? action_code(rule, w->options) : action_code_by_vr(e, w->options);
}

/* The walk's callback (cirr_dicom_edit_walk_deferred): most elements are
 * decided by tag and VR; the value is asked for (NEED_VALUE) only where
 * the action reads it. */
static cirr_dicom_edit_action decide(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    const struct anon_walk *w = ud;
    int ask;
    if ((e->tag >> 16) & 1) {
        if (e->value_deferred && w->options->n_private_safelist)
            return CIRR_DICOM_EDIT_NEED_VALUE; /* a creator's value names what it keeps */
        if (!private_kept(e, w->options))
            return CIRR_DICOM_EDIT_REMOVE;
        return !strcmp(e->vr, "UI") ? action_apply(ANON_U, e, w, out, cap) : CIRR_DICOM_EDIT_KEEP;
    }
    if (repeating_group_removed(e->tag))
        return CIRR_DICOM_EDIT_REMOVE;
    if (is_tokenized(e->tag) && e->value_deferred)
        return CIRR_DICOM_EDIT_NEED_VALUE;
    if (is_tokenized(e->tag) && e->value && *e->value)
        return token(e, w, out, cap) ? CIRR_DICOM_EDIT_REPLACE : CIRR_DICOM_EDIT_EMPTY;
    enum anon_code code = code_for(e, w, &ask);
    int sr_header = w->structured_report && e->depth == 0;
    if (ask || (e->value_deferred && action_needs_value(sr_header && code == ANON_ZD ? ANON_D : code, e)))
        return CIRR_DICOM_EDIT_NEED_VALUE;
    if (sr_header)
        return sr_header_action(code, e, w, out, cap);
    return action_apply(code, e, w, out, cap);
}

/* The De-identification Method Code Sequence: the profile, then each
 * option used (PS3.16 CID 7050). */
static cirr_dicom_status record_codes(cirr_dicom_dataset *ds, const struct anon_options *o)
{
    const struct { int used; const char *code, *meaning; } codes[] = {
        {1, "113100", "Basic Application Confidentiality Profile"},
        {o->clean_structured_content, "113104", "Clean Structured Content Option"},
        {o->clean_descriptors, "113105", "Clean Descriptors Option"},
        {o->retain_modified_dates, "113107", "Retain Longitudinal Temporal Information Modified Dates Option"},
        {o->retain_patient_chars, "113108", "Retain Patient Characteristics Option"},
        {o->retain_device_identity, "113109", "Retain Device Identity Option"},
        {o->retain_uids, "113110", "Retain UIDs Option"},
        {o->n_private_safelist > 0, "113111", "Retain Safe Private Option"},
    };
    cirr_dicom_status s = CIRR_DICOM_OK;
    if (cirr_dicom_has(ds, TAG_DEIDENTIFICATION_METHOD_CODES))
        s = cirr_dicom_delete(ds, TAG_DEIDENTIFICATION_METHOD_CODES);
    for (size_t i = 0; s == CIRR_DICOM_OK && i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].used)
            s = cirr_dicom_edit_append_code(ds, TAG_DEIDENTIFICATION_METHOD_CODES, codes[i].code, "DCM",
                                            codes[i].meaning);
    return s;
}

static cirr_dicom_status record(cirr_dicom_dataset *ds, const struct anon_options *o)
{
    cirr_dicom_status s = cirr_dicom_set_string(ds, TAG_PATIENT_IDENTITY_REMOVED, "YES");
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(ds, TAG_DEIDENTIFICATION_METHOD, "cirr lib/anon: PS3.15 E.1 Basic Profile");
    if (s == CIRR_DICOM_OK)
        s = cirr_dicom_set_string(ds, TAG_LONGITUDINAL_TEMPORAL_MODIFIED,
                                  o->retain_modified_dates ? "MODIFIED" : "REMOVED");
    if (s == CIRR_DICOM_OK)
        s = record_codes(ds, o);
    return s;
}

enum anon_result anon_dataset(cirr_dicom_dataset *ds, const struct anon_key *key,
                              const struct anon_options *options, char *reason, size_t cap)
{
    reason[0] = '\0';
    if (quarantine_check(ds, options, reason, cap))
        return ANON_QUARANTINED;
    char patient_id[80] = "";
    if (cirr_dicom_get_string(ds, CIRR_TAG_PATIENT_ID, patient_id, sizeof patient_id) != CIRR_DICOM_OK)
        patient_id[0] = '\0'; /* absent, or longer than a PatientID may be: no ID to key the shift */
    pseudonym_begin(key); /* the key set up once for every value of this dataset */
    struct anon_walk w = {key, options, pseudonym_day_shift(key, patient_id), patient_id,
                          is_structured_report(ds)};
    cirr_dicom_status s = cirr_dicom_edit_walk_deferred(ds, decide, &w);
    pseudonym_end();
    if (s == CIRR_DICOM_OK)
        s = record(ds, options);
    if (s != CIRR_DICOM_OK) {
        snprintf(reason, cap, "%s", cirr_dicom_last_error());
        return ANON_FAILED;
    }
    return ANON_DONE;
}
