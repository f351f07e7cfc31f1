/* Unit tests of what makes lib/anon cheaper on small instances (issue 14,
 * benchmark): cirr_dicom_edit_walk_deferred (values converted only when
 * the callback asks), the walk's removal of neighbouring elements, and the
 * per-thread cache of keyed pseudonyms (the same pseudonyms as without),
 * cirr_dicom_dictionary_skip_private. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "anon/anon.h"
#include "anon/pseudonym.h"
#include "cirr_dicom_edit.h"
#include "cirr_dicom_tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct anon_key key = {"project-a-secret-key-0123456789", 31};

/* PatientName, PatientID, StudyInstanceUID, Rows (US: never text). */
static cirr_dicom_dataset *small_dataset(void)
{
    cirr_dicom_dataset *ds;
    assert_int_equal(cirr_dicom_dataset_new(&ds), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_NAME, "DOE^JANE"), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_ID, "PID-1"), CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_STUDY_INSTANCE_UID, "1.2.826.0.1.3680043.2.1125.9"),
                     CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG(0x0028, 0x0010), "64"), CIRR_DICOM_OK);
    return ds;
}

/* What the callback saw: "tag:deferred/value " per showing. */
struct shown { char text[1024]; uint32_t ask; };

static cirr_dicom_edit_action record_cb(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    (void)out, (void)cap;
    struct shown *s = ud;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%08x:%s ", (unsigned)e->tag,
             e->value_deferred ? "deferred" : e->value ? e->value : "-");
    return e->value_deferred && e->tag == s->ask ? CIRR_DICOM_EDIT_NEED_VALUE : CIRR_DICOM_EDIT_KEEP;
}

static void test_deferred_walk_converts_only_what_is_asked(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = small_dataset();
    struct shown s = {"", CIRR_TAG_PATIENT_ID};
    assert_int_equal(cirr_dicom_edit_walk_deferred(ds, record_cb, &s), CIRR_DICOM_OK);
    assert_string_equal(s.text, "00100010:deferred 00100020:deferred 00100020:PID-1 "
                                "0020000d:deferred 00280010:- ");
    struct shown plain = {"", CIRR_TAG_PATIENT_ID};
    assert_int_equal(cirr_dicom_edit_walk(ds, record_cb, &plain), CIRR_DICOM_OK);
    assert_string_equal(plain.text, "00100010:DOE^JANE 00100020:PID-1 0020000d:1.2.826.0.1.3680043.2.1125.9 "
                                    "00280010:- ");
    cirr_dicom_dataset_free(ds);
}

static cirr_dicom_edit_action remove_text_cb(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    (void)out, (void)cap, (void)ud;
    return e->value_deferred || e->value ? CIRR_DICOM_EDIT_REMOVE : CIRR_DICOM_EDIT_KEEP;
}

static void test_walk_removes_neighbours(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = small_dataset();
    assert_int_equal(cirr_dicom_edit_walk_deferred(ds, remove_text_cb, NULL), CIRR_DICOM_OK);
    assert_false(cirr_dicom_has(ds, CIRR_TAG_PATIENT_NAME));
    assert_false(cirr_dicom_has(ds, CIRR_TAG_PATIENT_ID));
    assert_false(cirr_dicom_has(ds, CIRR_TAG_STUDY_INSTANCE_UID));
    assert_true(cirr_dicom_has(ds, CIRR_TAG(0x0028, 0x0010)));
    cirr_dicom_dataset_free(ds);
}

/* Within pseudonym_begin/end (cached) and without (one-shot HMAC): the
 * same pseudonyms, also after the cache's slots were overwritten many
 * times and when the key changes in between. */
static void test_cached_pseudonyms_equal_one_shot(void **state)
{
    (void)state;
    static const struct anon_key other = {"another-project-key-9876543210x", 31};
    char cached[ANON_UID_SIZE], one_shot[ANON_UID_SIZE], uid[64];
    for (int round = 0; round < 3; round++) {
        const struct anon_key *k = round == 1 ? &other : &key;
        pseudonym_begin(k);
        for (int i = 0; i < 1000; i++) {
            snprintf(uid, sizeof uid, "1.2.3.%d", i % 300);
            pseudonym_uid(k, uid, cached);
            pseudonym_end();
            pseudonym_uid(k, uid, one_shot);
            pseudonym_begin(k);
            assert_string_equal(cached, one_shot);
        }
        pseudonym_end();
    }
}

/* DCMDICTPATH unset: DCMTK's default dictionaries but private.dic; set:
 * left as the operator set it. */
static void test_dictionary_without_private(void **state)
{
    (void)state;
    unsetenv("DCMDICTPATH");
    assert_int_equal(cirr_dicom_dictionary_skip_private(), 1);
    const char *path = getenv("DCMDICTPATH");
    assert_non_null(path);
    assert_non_null(strstr(path, "dicom.dic"));
    assert_null(strstr(path, "private.dic"));
    setenv("DCMDICTPATH", "/somewhere/mine.dic", 1);
    assert_int_equal(cirr_dicom_dictionary_skip_private(), 0);
    assert_string_equal(getenv("DCMDICTPATH"), "/somewhere/mine.dic");
    unsetenv("DCMDICTPATH");
}

static int dicom_ready(void **state)
{
    (void)state;
    return cirr_dicom_init() == CIRR_DICOM_OK ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deferred_walk_converts_only_what_is_asked),
        cmocka_unit_test(test_walk_removes_neighbours),
        cmocka_unit_test(test_cached_pseudonyms_equal_one_shot),
        cmocka_unit_test(test_dictionary_without_private),
    };
    return cmocka_run_group_tests(tests, dicom_ready, NULL);
}
