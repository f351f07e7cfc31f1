/* Unit tests of lib/anon's Retain UIDs and Clean Structured Content
 * options (issue 14) and of anon_options_parse, the option names the
 * mux's MUX_DEST_<NAME>_ANON_OPTIONS takes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "anon/anon.h"
#include "anon/pseudonym.h"
#include "cirr_dicom_edit.h"
#include "cirr_dicom_sr.h"
#include "cirr_dicom_tags.h"

#include <stdio.h>
#include <string.h>

#define DOSE_SR "1.2.840.10008.5.1.4.1.1.88.67"
#define SOP_UID "1.2.826.0.1.3680043.2.1125.7.1"
#define STUDY_UID "1.2.826.0.1.3680043.2.1125.7.2"
#define EVENT_UID "1.2.826.0.1.3680043.2.1125.7.3"
#define TAG_CONTENT CIRR_TAG(0x0040, 0xA730)
#define TAG_VALUE_TYPE CIRR_TAG(0x0040, 0xA040)
#define TAG_CONCEPT_NAME CIRR_TAG(0x0040, 0xA043)
#define TAG_MEASURED CIRR_TAG(0x0040, 0xA300)
#define TAG_NUMERIC CIRR_TAG(0x0040, 0xA30A)
#define TAG_TEXT CIRR_TAG(0x0040, 0xA160)
#define TAG_PERSON CIRR_TAG(0x0040, 0xA123)
#define TAG_UID CIRR_TAG(0x0040, 0xA124)
#define TAG_DATETIME CIRR_TAG(0x0040, 0xA120)
#define TAG_CODE_VALUE CIRR_TAG(0x0008, 0x0100)

static const struct anon_key key = {"project-a-secret-key-0123456789", 31};

static cirr_dicom_item *content_item(cirr_dicom_item *parent, const char *type, const char *code, const char *meaning)
{
    cirr_dicom_item *item, *name;
    assert_int_equal(cirr_dicom_item_append(parent, TAG_CONTENT, &item), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(item, CIRR_TAG(0x0040, 0xA010), "CONTAINS"), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(item, TAG_VALUE_TYPE, type), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_append(item, TAG_CONCEPT_NAME, &name), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(name, TAG_CODE_VALUE, code), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(name, CIRR_TAG(0x0008, 0x0102), "DCM"), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(name, CIRR_TAG(0x0008, 0x0104), meaning), CIRR_DICOM_OK);
    return item;
}

static void numeric(cirr_dicom_item *parent, const char *code, const char *meaning, const char *value)
{
    cirr_dicom_item *item = content_item(parent, "NUM", code, meaning), *measured;
    assert_int_equal(cirr_dicom_item_append(item, TAG_MEASURED, &measured), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_item_set(measured, TAG_NUMERIC, value), CIRR_DICOM_OK);
}

/* A small CT dose report: a CTDIvol at the top of the tree, a DLP one
 * level down, and beside them the kinds of content that identify: a
 * text, a person, a UID, a date and time. */
static cirr_dicom_dataset *dose_report(void)
{
    cirr_dicom_dataset *ds;
    assert_int_equal(cirr_dicom_dataset_new(&ds), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_SOP_CLASS_UID, DOSE_SR), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_SOP_INSTANCE_UID, SOP_UID), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_STUDY_INSTANCE_UID, STUDY_UID), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_ID, "PID-777"), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_NAME, "DOE^JOHN"), CIRR_DICOM_OK);
    cirr_dicom_item *top = cirr_dicom_item_top(ds);
    numeric(top, "113830", "Mean CTDIvol", "12.5");
    cirr_dicom_item *text = content_item(top, "TEXT", "121106", "Comment");
    assert_int_equal(cirr_dicom_item_set(text, TAG_TEXT, "scanned by Dr Smith for DOE JOHN"), CIRR_DICOM_OK);
    cirr_dicom_item *person = content_item(top, "PNAME", "113870", "Person Name");
    assert_int_equal(cirr_dicom_item_set(person, TAG_PERSON, "SMITH^ANNA"), CIRR_DICOM_OK);
    cirr_dicom_item *uid = content_item(top, "UIDREF", "113769", "Irradiation Event UID");
    assert_int_equal(cirr_dicom_item_set(uid, TAG_UID, EVENT_UID), CIRR_DICOM_OK);
    cirr_dicom_item *when = content_item(top, "DATETIME", "113809", "Start of X-Ray Irradiation");
    assert_int_equal(cirr_dicom_item_set(when, TAG_DATETIME, "20240229101500"), CIRR_DICOM_OK);
    cirr_dicom_item *event = content_item(top, "CONTAINER", "113819", "CT Acquisition");
    numeric(event, "113838", "DLP", "345.6");
    return ds;
}

/* "tag=value " for each element of the tags asked for, at any depth, in
 * walk order. */
struct seen { const uint32_t *tags; char text[2048]; };

static cirr_dicom_edit_action seen_cb(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    (void)out, (void)cap;
    struct seen *s = ud;
    for (const uint32_t *t = s->tags; *t; t++)
        if (e->tag == *t) {
            size_t used = strlen(s->text);
            snprintf(s->text + used, sizeof s->text - used, "%08x=%s ", (unsigned)e->tag, e->value ? e->value : "");
        }
    return CIRR_DICOM_EDIT_KEEP;
}

static const char *seen(cirr_dicom_dataset *ds, const uint32_t *tags, struct seen *s)
{
    s->tags = tags;
    s->text[0] = '\0';
    assert_int_equal(cirr_dicom_edit_walk(ds, seen_cb, s), CIRR_DICOM_OK);
    return s->text;
}

static void anonymize(cirr_dicom_dataset *ds, const struct anon_options *o)
{
    char reason[256];
    assert_int_equal(anon_dataset(ds, &key, o, reason, sizeof reason), ANON_DONE);
}

static void test_basic_profile_removes_the_content_tree(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = dose_report();
    struct anon_options basic = {0};
    anonymize(ds, &basic);
    static const uint32_t tags[] = {TAG_CONTENT, TAG_NUMERIC, 0};
    struct seen s;
    assert_string_equal(seen(ds, tags, &s), "");
    cirr_dicom_dataset_free(ds);
}

static void test_clean_structured_content(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = dose_report();
    struct anon_options o = {.clean_structured_content = 1};
    anonymize(ds, &o);
    static const uint32_t tags[] = {TAG_NUMERIC, TAG_TEXT, TAG_PERSON, TAG_UID, TAG_DATETIME, TAG_CODE_VALUE, 0};
    char event[ANON_UID_SIZE], expected[1024];
    pseudonym_uid(&key, EVENT_UID, event);
    snprintf(expected, sizeof expected,
             "00080100=113100 00080100=113104 " /* the profile and the option, recorded (0012,0064) */
             "00080100=113830 0040a30a=12.5 "   /* the CTDIvol: its code and value */
             "00080100=121106 0040a160=ANONYMIZED " /* a text: a dummy (Type 1 in its item) */
             "00080100=113870 0040a123=ANONYMIZED " /* a person: a dummy (D) */
             "00080100=113769 0040a124=%s "     /* a UID: mapped as everywhere */
             "00080100=113809 0040a120=19000101000000 " /* a date and time: a dummy */
             "00080100=113819 00080100=113838 0040a30a=345.6 ", /* nested: the DLP */
             event);
    struct seen s;
    assert_string_equal(seen(ds, tags, &s), expected);
    cirr_dicom_dataset_free(ds);
}

static void test_retain_uids(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = dose_report();
    struct anon_options o = {.retain_uids = 1, .clean_structured_content = 1};
    anonymize(ds, &o);
    char v[128];
    assert_int_equal(cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, v, sizeof v), CIRR_DICOM_OK);
    assert_string_equal(v, SOP_UID);
    assert_int_equal(cirr_dicom_get_string(ds, CIRR_TAG_STUDY_INSTANCE_UID, v, sizeof v), CIRR_DICOM_OK);
    assert_string_equal(v, STUDY_UID);
    assert_int_equal(cirr_dicom_get_string(ds, CIRR_TAG_PATIENT_NAME, v, sizeof v), CIRR_DICOM_OK);
    assert_string_not_equal(v, "DOE^JOHN"); /* only the UIDs are kept */
    static const uint32_t tags[] = {TAG_UID, TAG_CODE_VALUE, 0};
    struct seen s;
    const char *text = seen(ds, tags, &s);
    assert_non_null(strstr(text, "0040a124=" EVENT_UID " "));
    assert_non_null(strstr(text, "00080100=113100 00080100=113104 00080100=113110 "));
    cirr_dicom_dataset_free(ds);
}

static void test_options_by_name(void **state)
{
    (void)state;
    struct anon_options o = {0};
    char bad[64];
    assert_int_equal(anon_options_parse(" dates, Device,uids ,structured-content", &o, bad, sizeof bad), 0);
    assert_true(o.retain_modified_dates && o.retain_device_identity && o.retain_uids && o.clean_structured_content);
    assert_false(o.retain_patient_chars || o.clean_descriptors);
    assert_int_equal(anon_options_parse("characteristics,descriptors", &o, bad, sizeof bad), 0);
    assert_true(o.retain_patient_chars && o.clean_descriptors);
    struct anon_options none = {0};
    assert_int_equal(anon_options_parse(" , ", &none, bad, sizeof bad), 0);
    assert_false(none.retain_modified_dates || none.retain_uids);
    assert_int_equal(anon_options_parse("dates,date ,uids", &none, bad, sizeof bad), -1);
    assert_string_equal(bad, "date");
}

static int dicom_ready(void **state)
{
    (void)state;
    return cirr_dicom_init() == CIRR_DICOM_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_profile_removes_the_content_tree),
        cmocka_unit_test(test_clean_structured_content),
        cmocka_unit_test(test_retain_uids),
        cmocka_unit_test(test_options_by_name),
    };
    return cmocka_run_group_tests(tests, dicom_ready, NULL);
}
