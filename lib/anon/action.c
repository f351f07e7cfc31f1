/* action.c: the action codes of Table E.1-1a carried out on one element.
 *
 * The combined codes (X/Z, X/D, X/Z/D, Z/D) mean "remove, unless the IOD
 * needs the attribute empty or with a value". Without the IOD at hand, the
 * form that keeps any IOD valid and leaks nothing is chosen: Z where the
 * choice includes Z (an empty value is valid for Type 2 and 3), D for X/D
 * (Type 1). A sequence under one of these is removed (an empty Type 3
 * sequence is invalid; Type 2 ones are few), except under X/Z/U*, which
 * keeps the sequence and replaces the UIDs in it. */
#include "anon/action.h"
#include "anon/dates.h"
#include "anon/pseudonym.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum anon_code action_code(const struct anon_rule *rule, const struct anon_options *o)
{
    enum anon_code code = rule->basic;
    if (o->retain_device_identity && rule->device)
        code = rule->device;
    if (o->retain_patient_chars && rule->patient)
        code = rule->patient;
    if (o->retain_modified_dates && rule->dates)
        code = rule->dates;
    if (o->clean_descriptors && rule->descriptors)
        code = rule->descriptors;
    if (o->clean_structured_content && rule->structured)
        code = rule->structured;
    if (o->retain_uids && code == ANON_U) /* the option's column: K wherever the profile says U */
        code = ANON_K;
    return code;
}

static int vr_is(const cirr_dicom_element *e, const char *vr) { return !strcmp(e->vr, vr); }

/* DateTime, Date, Text Value: the values of SR content items, Type 1 in
 * their item, so that under Clean Structured Content what the profile
 * would empty gets a dummy instead (or is cleaned where an option says). */
static int content_item_value(uint32_t tag)
{
    return tag == CIRR_TAG(0x0040, 0xA120) || tag == CIRR_TAG(0x0040, 0xA121) || tag == CIRR_TAG(0x0040, 0xA160);
}

enum anon_code action_code_by_vr(const cirr_dicom_element *e, const struct anon_options *o)
{
    if (o->clean_structured_content && content_item_value(e->tag))
        return ANON_CD;
    if (vr_is(e, "UI"))
        return e->value && strncmp(e->value, "1.2.840.10008.", 14) && !o->retain_uids ? ANON_U : ANON_K;
    if (vr_is(e, "PN"))
        return ANON_Z;
    if (vr_is(e, "DA") || vr_is(e, "DT"))
        return o->retain_modified_dates ? ANON_C : ANON_Z; /* empty: valid whatever the attribute's type */
    if (vr_is(e, "LT") || vr_is(e, "ST") || vr_is(e, "UT")) /* free text a later edition may have a row for */
        return o->clean_descriptors ? ANON_C : ANON_Z;
    return ANON_K;
}

/* A dummy value that suits the VR. */
static const char *dummy(const cirr_dicom_element *e)
{
    static const struct { const char *vr, *value; } dummies[] = {
        {"DA", "19000101"}, {"TM", "000000"}, {"DT", "19000101000000"}, {"DS", "0"},
        {"IS", "0"},        {"AS", "000Y"},   {"UR", ""},
    };
    for (size_t i = 0; i < sizeof dummies / sizeof dummies[0]; i++)
        if (vr_is(e, dummies[i].vr))
            return dummies[i].value;
    return "ANONYMIZED";
}

/* Each UID of a (multi-valued) UI value replaced by its pseudonym. */
static cirr_dicom_edit_action replace_uids(const char *value, const struct anon_key *key, char *out, size_t cap)
{
    size_t used = 0;
    for (const char *v = value;;) {
        const char *end = strchr(v, '\\');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        char uid[65], mapped[ANON_UID_SIZE];
        if (len >= sizeof uid || used + ANON_UID_SIZE + 1 > cap)
            return CIRR_DICOM_EDIT_EMPTY; /* no UID is that long: nothing of it is kept */
        memcpy(uid, v, len);
        uid[len] = '\0';
        pseudonym_uid(key, uid, mapped);
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "\\" : "", mapped);
        if (!end)
            break;
        v = end + 1;
    }
    return CIRR_DICOM_EDIT_REPLACE;
}

/* A UID value where the action keeps or maps it: as it was under Retain
 * UIDs, else mapped. */
static cirr_dicom_edit_action uid_value(const char *value, const struct anon_walk *w, char *out, size_t cap)
{
    return w->options->retain_uids ? CIRR_DICOM_EDIT_KEEP : replace_uids(value, w->key, out, cap);
}

/* Clean Descriptors: a description stays only when the safelist has it. */
static int on_safelist(const char *value, const char *const *list)
{
    for (; list && *list; list++)
        if (!strcasecmp(value, *list))
            return 1;
    return 0;
}

/* C: dates shifted (times kept: the shift is whole days), descriptions
 * kept only when safelisted, sequences kept with their items cleaned. */
static cirr_dicom_edit_action clean(const cirr_dicom_element *e, const struct anon_walk *w, char *out, size_t cap)
{
    if (vr_is(e, "SQ") || vr_is(e, "TM") || !e->value || !*e->value)
        return CIRR_DICOM_EDIT_KEEP;
    if (vr_is(e, "DA") || vr_is(e, "DT"))
        return dates_shift(e->value, w->day_shift, out, cap) == 0 ? CIRR_DICOM_EDIT_REPLACE : CIRR_DICOM_EDIT_EMPTY;
    if (vr_is(e, "UI"))
        return uid_value(e->value, w, out, cap);
    return on_safelist(e->value, w->options->descriptor_safelist) ? CIRR_DICOM_EDIT_KEEP : CIRR_DICOM_EDIT_EMPTY;
}

/* D on an element that is not a sequence. */
static cirr_dicom_edit_action dummy_or_uid(const cirr_dicom_element *e, const struct anon_walk *w, char *out,
                                           size_t cap)
{
    if (vr_is(e, "UI"))
        return e->value && *e->value ? uid_value(e->value, w, out, cap) : CIRR_DICOM_EDIT_KEEP;
    if (!e->value)
        return CIRR_DICOM_EDIT_EMPTY;
    snprintf(out, cap, "%s", dummy(e));
    return CIRR_DICOM_EDIT_REPLACE;
}

/* CD: a date shifted under the dates option, a text kept when safelisted
 * under Clean Descriptors; otherwise, or when that leaves nothing, a dummy. */
static cirr_dicom_edit_action clean_or_dummy(const cirr_dicom_element *e, const struct anon_walk *w, char *out,
                                             size_t cap)
{
    int date = vr_is(e, "DA") || vr_is(e, "DT");
    cirr_dicom_edit_action a = CIRR_DICOM_EDIT_EMPTY;
    if (date ? w->options->retain_modified_dates : w->options->clean_descriptors)
        a = clean(e, w, out, cap);
    return a == CIRR_DICOM_EDIT_EMPTY ? dummy_or_uid(e, w, out, cap) : a;
}

int action_needs_value(enum anon_code code, const cirr_dicom_element *e)
{
    switch (code) {
    case ANON_X: case ANON_Z: case ANON_ZD: case ANON_K: case ANON_NONE:
        return 0;
    case ANON_XZ: case ANON_XZD:
        return 0; /* removed when a sequence, emptied otherwise */
    default: /* a dummy, a UID, a cleaned value: from the value, or from whether there is one */
        return !vr_is(e, "SQ");
    }
}

cirr_dicom_edit_action action_apply(enum anon_code code, const cirr_dicom_element *e,
                                    const struct anon_walk *w, char *out, size_t cap)
{
    int seq = vr_is(e, "SQ");
    switch (code) {
    case ANON_X:
        return CIRR_DICOM_EDIT_REMOVE;
    case ANON_XZ: case ANON_XZD: case ANON_XD:
        if (seq) /* an empty Type 3 sequence is invalid, and the Type 2 ones are few */
            return CIRR_DICOM_EDIT_REMOVE;
        return code == ANON_XD ? dummy_or_uid(e, w, out, cap) : CIRR_DICOM_EDIT_EMPTY;
    case ANON_Z: case ANON_ZD:
        return CIRR_DICOM_EDIT_EMPTY;
    case ANON_D:
        if (seq)
            return CIRR_DICOM_EDIT_KEEP; /* a dummy item is its own items cleaned */
        return dummy_or_uid(e, w, out, cap);
    case ANON_U: case ANON_XZU:
        if (seq || !e->value || !*e->value)
            return CIRR_DICOM_EDIT_KEEP;
        return uid_value(e->value, w, out, cap);
    case ANON_C:
        return clean(e, w, out, cap);
    case ANON_CD:
        return clean_or_dummy(e, w, out, cap);
    default: /* K: a sequence is walked into, so its items are cleaned */
        return CIRR_DICOM_EDIT_KEEP;
    }
}
