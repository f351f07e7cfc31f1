/* Unit tests of cirr-watcher's JSON reader and writer (images/watcher/json.c)
 * and of the SR flattening (images/watcher/srflat.c): what peers send,
 * hostile input refused, and a dose report's content tree flattened as
 * the Splunk dose dashboards read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "json.h"
#include "srflat.h"

static struct json *parse(const char *text) { return json_parse(text, strlen(text)); }

/* text parsed and written again. */
static char *round_trip(const char *text)
{
    struct json *j = parse(text);
    struct strbuf out = {0};
    if (!j)
        return NULL;
    json_write(j, &out);
    json_free(j);
    return strbuf_take(&out);
}

static void valid_json_comes_back_the_same(void **state)
{
    (void)state;
    static const char *const same[] = {
        "{\"Changes\":[{\"ChangeType\":\"NewInstance\",\"Seq\":12}],\"Done\":true,\"Last\":12}",
        "[1,-2.5e3,0,true,false,null,\"\"]",
        "{\"a\":{\"b\":[[],{}]}}",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char *back = round_trip(same[i]);
        assert_non_null(back);
        assert_string_equal(back, same[i]);
        free(back);
    }
    char *spaced = round_trip(" { \"k\" :\t[ 1 , 2 ]\n} ");
    assert_string_equal(spaced, "{\"k\":[1,2]}");
    free(spaced);
}

static void escapes_are_decoded_and_written_again(void **state)
{
    (void)state;
    struct json *j = parse("{\"t\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\"}");
    assert_non_null(j);
    assert_string_equal(json_text(json_get(j, "t")), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
    json_free(j);
}

static void what_is_not_json_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "}", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "tru", "nul", "01x", "\"open",
        "\"\\x41\"", "\"\\u12\"", "\"\\ud800\"", "\"\\u0000\"", "\"a\nb\"", "[1] [2]", "{\"a\":1}}", ".5", "-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct json *j = parse(bad[i]);
        if (j)
            fail_msg("accepted '%s'", bad[i]);
    }
}

static void nesting_is_bounded(void **state)
{
    (void)state;
    char deep[2 * 100 + 1];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    assert_null(parse(deep));
    deep[60] = '\0';
    memset(deep, '[', 30);
    memset(deep + 30, ']', 30);
    struct json *j = parse(deep);
    assert_non_null(j);
    json_free(j);
}

static void lookups_and_building(void **state)
{
    (void)state;
    struct json *j = parse("{\"a\":[\"x\",7],\"b\":null}");
    assert_string_equal(json_text(json_at(json_get(j, "a"), 0)), "x");
    assert_string_equal(json_text(json_at(json_get(j, "a"), 1)), "7");
    assert_null(json_at(json_get(j, "a"), 2));
    assert_null(json_text(json_get(j, "b")));
    assert_null(json_get(j, "c"));
    struct json *copy = json_copy(j);
    json_free(json_take(j, "a"));
    json_put(j, "c", json_new(JSON_STRING, "tab\there"));
    struct strbuf out = {0};
    json_write(j, &out);
    assert_string_equal(out.data, "{\"b\":null,\"c\":\"tab\\there\"}");
    strbuf_free(&out);
    json_write(copy, &out);
    assert_string_equal(out.data, "{\"a\":[\"x\",7],\"b\":null}");
    strbuf_free(&out);
    json_free(j);
    json_free(copy);
}

/* A NUM content item of Orthanc's simplified JSON. */
#define NUM(name, value, unit)                                                                             \
    "{\"ValueType\":\"NUM\",\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"" name "\"}],"                \
    "\"MeasuredValueSequence\":[{\"NumericValue\":\"" value "\",\"MeasurementUnitsCodeSequence\":[{\"CodeMeaning\":\"" unit \
    "\"}]}]}"
#define CONTAINER(name, items) \
    "{\"ValueType\":\"CONTAINER\",\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"" name "\"}],\"ContentSequence\":[" items "]}"
#define CODE(name, meaning) \
    "{\"ValueType\":\"CODE\",\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"" name "\"}],\"ConceptCodeSequence\":[{\"CodeMeaning\":\"" meaning "\"}]}"

static void a_dose_report_is_flattened_by_concept_name(void **state)
{
    (void)state;
    struct json *sr = parse(
        "{\"Modality\":\"SR\",\"ValueType\":\"CONTAINER\","
        "\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"X-Ray Radiation Dose Report\"}],\"ContentSequence\":["
        CONTAINER("CT Accumulated Dose Data", NUM("CT Dose Length Product Total", "36.24", "mGy.cm") ","
                  NUM("Total Number of Irradiation Events", "2", "events")) ","
        CONTAINER("CT Acquisition", CODE("CT Acquisition Type", "Spiral Acquisition") ","
                  CONTAINER("CT Dose", NUM("Mean CTDIvol", " 16.16", "mGy") "," NUM("DLP", "24.24", "mGy.cm") ","
                            CODE("CTDIw Phantom Type", "IEC Body Dosimetry Phantom")))
        "]}");
    assert_non_null(sr);
    assert_int_equal(srflat_apply(sr), 1);
    struct strbuf out = {0};
    json_write(sr, &out);
    assert_string_equal(out.data,
                        "{\"Modality\":\"SR\",\"ValueType\":\"CONTAINER\","
                        "\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"X-Ray Radiation Dose Report\"}],"
                        "\"X-Ray Radiation Dose Report\":{\"CT Accumulated Dose Data\":"
                        "{\"CT Dose Length Product Total\":36.24,\"Total Number of Irradiation Events\":2},"
                        "\"CT Acquisition\":[{\"CT Acquisition Type\":\"Spiral Acquisition\",\"CT Dose\":"
                        "{\"Mean CTDIvol\":16.16,\"DLP\":24.24,\"CTDIw Phantom Type\":\"IEC Body Dosimetry Phantom\"}}]}}");
    strbuf_free(&out);
    json_free(sr);
}

static void repeated_concepts_become_lists_and_images_are_left_alone(void **state)
{
    (void)state;
    struct json *sr = parse("{\"ValueType\":\"CONTAINER\",\"ConceptNameCodeSequence\":[{\"CodeMeaning\":\"R\"}],"
                            "\"ContentSequence\":[" NUM("n", "1", "u") "," NUM("n", "x1", "u") "," NUM("n", "3", "u") "]}");
    assert_int_equal(srflat_apply(sr), 1);
    struct strbuf out = {0};
    json_write(json_get(sr, "R"), &out);
    assert_string_equal(out.data, "{\"n\":[1,\"x1\",3]}");
    strbuf_free(&out);
    json_free(sr);
    struct json *image = parse("{\"Modality\":\"CT\",\"Rows\":\"512\"}");
    assert_int_equal(srflat_apply(image), 0);
    json_free(image);
}

static void an_event_s_outbox_line_splits_back_into_its_fields(void **state)
{
    (void)state;
    struct route r = {.name = "index_instances", .index = "dicom_instances"};
    struct event ev;
    /* no UID of its own and none to fall back on: an empty field, kept */
    assert_int_equal(event_build(parse("{\"StudyDate\":\"20261101\",\"StudyTime\":\"093000\",\"Note\":\"a\\tb\"}"),
                                 SOURCE_ORTHANC_INSTANCES, NULL, &ev), 0);
    struct strbuf line = {0};
    event_line(&line, &r, &ev, 1234);
    event_free(&ev);
    char *f[FIELD_COUNT];
    line.data[line.len - 1] = '\0'; /* the newline */
    assert_int_equal(event_fields(line.data, f), 0);
    assert_string_equal(f[FIELD_INDEX], "dicom_instances");
    assert_string_equal(f[FIELD_ROUTE], "index_instances");
    assert_string_equal(f[FIELD_UID], "");
    assert_string_equal(f[FIELD_READ_MS], "1234");
    assert_string_equal(f[FIELD_JSON], "{\"StudyDate\":\"20261101\",\"StudyTime\":\"093000\",\"Note\":\"a\\tb\","
                                       "\"StudyDateTime\":\"2026-11-01T09:30:00\"}");
    strbuf_free(&line);
    char bad[] = "index\troute\tuid";
    assert_int_equal(event_fields(bad, f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_json_comes_back_the_same),
        cmocka_unit_test(escapes_are_decoded_and_written_again),
        cmocka_unit_test(what_is_not_json_is_refused),
        cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(lookups_and_building),
        cmocka_unit_test(a_dose_report_is_flattened_by_concept_name),
        cmocka_unit_test(repeated_concepts_become_lists_and_images_are_left_alone),
        cmocka_unit_test(an_event_s_outbox_line_splits_back_into_its_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
