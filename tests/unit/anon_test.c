/* Unit tests of lib/anon: each action class of PS3.15 Table E.1-1 (D, Z,
 * X, K, C, U and the combined codes), at the top and inside sequences;
 * the keyed pseudonyms (same key same value, other key other value); the
 * options; private elements; quarantine; what the output records; the
 * key file's checks; date shifting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "anon/anon.h"
#include "anon/dates.h"
#include "anon/private.h"
#include "anon/profile.h"
#include "anon/pseudonym.h"
#include "cirr_dicom_edit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CT_IMAGE "1.2.840.10008.5.1.4.1.1.2"
#define SOP_UID "1.2.826.0.1.3680043.2.1125.1.1"
#define REF_UID "1.2.826.0.1.3680043.2.1125.1.2"

static const struct anon_key key_a = {"project-a-secret-key-0123456789", 31};
static const struct anon_key key_b = {"project-b-secret-key-0123456789", 31};
static const struct anon_options basic = {0};

/* A CT instance's identifying attributes, one or two nested. */
static cirr_dicom_dataset *instance(void)
{
    cirr_dicom_dataset *ds;
    assert_int_equal(cirr_dicom_dataset_new(&ds), CIRR_DICOM_OK);
    static const struct { uint32_t tag; const char *value; } attrs[] = {
        {CIRR_TAG_SOP_CLASS_UID, CT_IMAGE},        {CIRR_TAG_SOP_INSTANCE_UID, SOP_UID},
        {CIRR_TAG_PATIENT_NAME, "DOE^JANE"},       {CIRR_TAG_PATIENT_ID, "PID12345"},
        {CIRR_TAG_ACCESSION_NUMBER, "ACC778899"},  {CIRR_TAG_STUDY_ID, "STUDY42"},
        {CIRR_TAG_STUDY_DATE, "20240229"},         {CIRR_TAG_STUDY_TIME, "101500"},
        {CIRR_TAG_PATIENT_SEX, "F"},               {CIRR_TAG_MODALITY, "CT"},
        {CIRR_TAG(0x0008, 0x0081), "1 Hospital Road"},   /* Institution Address: X */
        {CIRR_TAG_REFERRING_PHYSICIAN_NAME, "WHO^DR"},    /* Z */
        {CIRR_TAG(0x0018, 0x1030), "HEAD ROUTINE"},       /* Protocol Name: X/D */
        {CIRR_TAG_STATION_NAME, "CT-ROOM-3"},             /* X/Z/D, K with device identity */
        {CIRR_TAG(0x0008, 0x0022), "20240229"},           /* Acquisition Date: X/Z */
        {CIRR_TAG_CONTENT_DATE, "20240229"},              /* Z/D */
        {CIRR_TAG(0x0040, 0xA123), "SOMEONE^ELSE"},       /* Person Name: D */
        {CIRR_TAG_STUDY_DESCRIPTION, "CT HEAD"},          /* X, C with clean descriptors */
        {CIRR_TAG(0x0010, 0x1030), "71.5"},               /* Patient's Weight: X, K */
        {CIRR_TAG_FRAME_OF_REFERENCE_UID, REF_UID},       /* U */
        {CIRR_TAG(0x0008, 0x002A), "20240229101500.5+0100"}, /* Acquisition DateTime: X/Z/D */
        {CIRR_TAG(0x0014, 0x3076), "20240229"},           /* Date of Gain Calibration: no row, a DA */
        {CIRR_TAG(0x0020, 0x0242), SOP_UID},              /* SOP Instance UID of Concatenation Source: no row */
        {CIRR_TAG(0x0040, 0x0400), "CALL JANE AT HOME"},    /* Comments on the Scheduled Procedure Step: no row, LT */
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        assert_int_equal(cirr_dicom_set_string(ds, attrs[i].tag, attrs[i].value), CIRR_DICOM_OK);
    /* Referenced Image Sequence (X/Z/U*): a reference to another instance. */
    assert_int_equal(cirr_dicom_set_in_item(ds, CIRR_TAG(0x0008, 0x1140), 0, CIRR_TAG(0x0008, 0x1155), REF_UID),
                     CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_in_item(ds, CIRR_TAG(0x0008, 0x1140), 0, CIRR_TAG(0x0008, 0x1150), CT_IMAGE),
                     CIRR_DICOM_OK);
    /* Other Patient IDs Sequence (X) and, kept but walked into, a code sequence with a name in it. */
    assert_int_equal(cirr_dicom_set_in_item(ds, CIRR_TAG(0x0010, 0x1002), 0, CIRR_TAG_PATIENT_ID, "OLD-PID"),
                     CIRR_DICOM_OK);
    assert_int_equal(cirr_dicom_set_in_item(ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, 0,
                                            CIRR_TAG(0x0040, 0xA075), "NESTED^OBSERVER"), /* D */
                     CIRR_DICOM_OK);
    return ds;
}

struct found {
    uint32_t seq, tag;
    int in_seq, present;
    char value[256];
};

static cirr_dicom_edit_action find_cb(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    (void)out, (void)cap;
    struct found *f = ud;
    if (e->depth == 0)
        f->in_seq = e->tag == f->seq;
    if (e->tag == f->tag && (f->seq ? e->depth == 1 && f->in_seq : e->depth == 0)) {
        f->present = 1;
        snprintf(f->value, sizeof f->value, "%s", e->value ? e->value : "");
    }
    return CIRR_DICOM_EDIT_KEEP;
}

/* The value of tag at the top (seq 0) or in an item of seq: 1 and value,
 * or 0 when absent. */
static int lookup(cirr_dicom_dataset *ds, uint32_t seq, uint32_t tag, char *value, size_t cap)
{
    struct found f = {seq, tag, 0, 0, ""};
    assert_int_equal(cirr_dicom_edit_walk(ds, find_cb, &f), CIRR_DICOM_OK);
    snprintf(value, cap, "%s", f.value);
    return f.present;
}

static cirr_dicom_dataset *anonymized(const struct anon_key *key, const struct anon_options *o)
{
    cirr_dicom_dataset *ds = instance();
    char reason[256];
    assert_int_equal(anon_dataset(ds, key, o, reason, sizeof reason), ANON_DONE);
    assert_string_equal(reason, "");
    return ds;
}

static void assert_value(cirr_dicom_dataset *ds, uint32_t seq, uint32_t tag, const char *expected)
{
    char v[256];
    assert_true(lookup(ds, seq, tag, v, sizeof v));
    assert_string_equal(v, expected);
}

static void assert_absent(cirr_dicom_dataset *ds, uint32_t seq, uint32_t tag)
{
    char v[256];
    assert_false(lookup(ds, seq, tag, v, sizeof v));
}

static void test_x_removes(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_absent(ds, 0, CIRR_TAG(0x0008, 0x0081));
    assert_absent(ds, 0, CIRR_TAG_STUDY_DESCRIPTION);
    assert_absent(ds, 0, CIRR_TAG(0x0010, 0x1030));
    assert_absent(ds, 0, CIRR_TAG(0x0010, 0x1002)); /* a sequence goes with its items */
    cirr_dicom_dataset_free(ds);
}

static void test_z_empties(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG_REFERRING_PHYSICIAN_NAME, "");
    assert_value(ds, 0, CIRR_TAG_STUDY_DATE, "");
    assert_value(ds, 0, CIRR_TAG_STUDY_TIME, "");
    assert_value(ds, 0, CIRR_TAG_PATIENT_SEX, "");
    cirr_dicom_dataset_free(ds);
}

static void test_d_dummies(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG(0x0040, 0xA123), "ANONYMIZED");
    assert_value(ds, CIRR_TAG_ANATOMIC_REGION_SEQUENCE, CIRR_TAG(0x0040, 0xA075), "ANONYMIZED");
    cirr_dicom_dataset_free(ds);
}

static void test_k_keeps(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG_MODALITY, "CT");
    assert_value(ds, 0, CIRR_TAG_SOP_CLASS_UID, CT_IMAGE);
    assert_value(ds, CIRR_TAG(0x0008, 0x1140), CIRR_TAG(0x0008, 0x1150), CT_IMAGE);
    cirr_dicom_dataset_free(ds);
}

static void test_attributes_in_no_row_go_by_their_vr(void **state)
{
    (void)state;
    char sop[ANON_UID_SIZE], expected[16];
    pseudonym_uid(&key_a, SOP_UID, sop);
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG(0x0014, 0x3076), "");  /* a date: emptied */
    assert_value(ds, 0, CIRR_TAG(0x0020, 0x0242), sop); /* a UID: replaced like the instance it names */
    assert_value(ds, 0, CIRR_TAG(0x0040, 0x0400), "");  /* free text: emptied */
    cirr_dicom_dataset_free(ds);
    struct anon_options o = {.retain_modified_dates = 1};
    ds = anonymized(&key_a, &o);
    assert_int_equal(dates_shift("20240229", pseudonym_day_shift(&key_a, "PID12345"), expected, sizeof expected), 0);
    assert_value(ds, 0, CIRR_TAG(0x0014, 0x3076), expected); /* shifted like every other date */
    cirr_dicom_dataset_free(ds);
}

static void test_combined_codes(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG(0x0008, 0x0022), "");            /* X/Z */
    assert_value(ds, 0, CIRR_TAG(0x0018, 0x1030), "ANONYMIZED");  /* X/D */
    assert_value(ds, 0, CIRR_TAG(0x0008, 0x002A), "");             /* X/Z/D */
    assert_value(ds, 0, CIRR_TAG_STATION_NAME, "");
    assert_value(ds, 0, CIRR_TAG_CONTENT_DATE, "");                /* Z/D */
    cirr_dicom_dataset_free(ds);
}

static void test_u_replaces_every_uid_alike(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic);
    char sop[ANON_UID_SIZE], ref[ANON_UID_SIZE], v[256];
    pseudonym_uid(&key_a, SOP_UID, sop);
    pseudonym_uid(&key_a, REF_UID, ref);
    assert_int_equal(strncmp(sop, "2.25.", 5), 0);
    assert_true(strlen(sop) <= 44);
    assert_value(ds, 0, CIRR_TAG_SOP_INSTANCE_UID, sop);
    assert_value(ds, 0, CIRR_TAG_FRAME_OF_REFERENCE_UID, ref);
    /* X/Z/U*: the reference in the sequence maps like the instance it names */
    assert_value(ds, CIRR_TAG(0x0008, 0x1140), CIRR_TAG(0x0008, 0x1155), ref);
    cirr_dicom_dataset_free(ds);
    ds = anonymized(&key_b, &basic);
    assert_true(lookup(ds, 0, CIRR_TAG_SOP_INSTANCE_UID, v, sizeof v));
    assert_string_not_equal(v, sop);
    cirr_dicom_dataset_free(ds);
}

static void test_identifiers_become_tokens(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = anonymized(&key_a, &basic), *again = anonymized(&key_a, &basic);
    char token[ANON_TOKEN_SIZE], v[256];
    anon_patient_token(&key_a, "PID12345", token);
    assert_value(ds, 0, CIRR_TAG_PATIENT_ID, token);
    assert_value(ds, 0, CIRR_TAG_PATIENT_NAME, token);
    assert_true(lookup(ds, 0, CIRR_TAG_ACCESSION_NUMBER, v, sizeof v));
    assert_int_equal(strlen(v), 14);
    assert_int_equal(v[0], 'A');
    assert_value(again, 0, CIRR_TAG_ACCESSION_NUMBER, v);
    assert_true(lookup(ds, 0, CIRR_TAG_STUDY_ID, v, sizeof v)); /* never emptied: a token */
    assert_int_equal(v[0], 'S');
    assert_value(again, 0, CIRR_TAG_STUDY_ID, v);
    cirr_dicom_dataset_free(ds);
    cirr_dicom_dataset_free(again);
}

static void test_modified_dates_shift_per_patient(void **state)
{
    (void)state;
    struct anon_options o = {.retain_modified_dates = 1};
    cirr_dicom_dataset *ds = anonymized(&key_a, &o);
    char expected[64], v[64];
    int days = pseudonym_day_shift(&key_a, "PID12345");
    assert_true(days <= -1 && days >= -3652);
    assert_int_equal(dates_shift("20240229", days, expected, sizeof expected), 0);
    assert_string_not_equal(expected, "20240229");
    assert_value(ds, 0, CIRR_TAG_STUDY_DATE, expected);
    assert_value(ds, 0, CIRR_TAG(0x0008, 0x0022), expected);
    assert_value(ds, 0, CIRR_TAG_STUDY_TIME, "101500"); /* whole days: the time stays */
    assert_true(lookup(ds, 0, CIRR_TAG(0x0008, 0x002A), v, sizeof v));
    assert_memory_equal(v, expected, 8);
    assert_string_equal(v + 8, "101500.5+0100");
    assert_value(ds, 0, CIRR_TAG(0x0028, 0x0303), "MODIFIED");
    cirr_dicom_dataset_free(ds);
}

static void test_retain_patient_chars_and_device(void **state)
{
    (void)state;
    struct anon_options o = {.retain_patient_chars = 1, .retain_device_identity = 1};
    cirr_dicom_dataset *ds = anonymized(&key_a, &o);
    assert_value(ds, 0, CIRR_TAG_PATIENT_SEX, "F");
    assert_value(ds, 0, CIRR_TAG(0x0010, 0x1030), "71.5");
    assert_value(ds, 0, CIRR_TAG_STATION_NAME, "CT-ROOM-3");
    cirr_dicom_dataset_free(ds);
}

static void test_clean_descriptors_keeps_only_the_safelist(void **state)
{
    (void)state;
    static const char *const safe[] = {"ct head", NULL}, *const other[] = {"CT CHEST", NULL};
    struct anon_options o = {.clean_descriptors = 1, .descriptor_safelist = safe};
    cirr_dicom_dataset *ds = anonymized(&key_a, &o);
    assert_value(ds, 0, CIRR_TAG_STUDY_DESCRIPTION, "CT HEAD");
    assert_value(ds, 0, CIRR_TAG(0x0018, 0x1030), "");
    cirr_dicom_dataset_free(ds);
    o.descriptor_safelist = other;
    ds = anonymized(&key_a, &o);
    assert_value(ds, 0, CIRR_TAG_STUDY_DESCRIPTION, "");
    cirr_dicom_dataset_free(ds);
}

static cirr_dicom_edit_action codes_cb(const cirr_dicom_element *e, char *out, size_t cap, void *ud)
{
    (void)out, (void)cap;
    if (e->tag == CIRR_TAG_CODE_VALUE && e->depth == 1 && e->value)
        strcat(ud, e->value), strcat(ud, " ");
    return CIRR_DICOM_EDIT_KEEP;
}

static void test_records_what_was_done(void **state)
{
    (void)state;
    struct anon_options o = {.retain_modified_dates = 1, .retain_patient_chars = 1};
    cirr_dicom_dataset *ds = anonymized(&key_a, &o);
    assert_value(ds, 0, CIRR_TAG(0x0012, 0x0062), "YES");
    char codes[256] = ""; /* the code values of every item (the anatomic region's has none) */
    assert_int_equal(cirr_dicom_edit_walk(ds, codes_cb, codes), CIRR_DICOM_OK);
    assert_string_equal(codes, "113100 113107 113108 ");
    cirr_dicom_dataset_free(ds);
    ds = anonymized(&key_a, &basic);
    assert_value(ds, 0, CIRR_TAG(0x0028, 0x0303), "REMOVED");
    cirr_dicom_dataset_free(ds);
}

static void test_quarantine(void **state)
{
    (void)state;
    char reason[256];
    cirr_dicom_dataset *ds = instance();
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_BURNED_IN_ANNOTATION, "YES"), CIRR_DICOM_OK);
    assert_int_equal(anon_dataset(ds, &key_a, &basic, reason, sizeof reason), ANON_QUARANTINED);
    assert_non_null(strstr(reason, "BurnedInAnnotation"));
    assert_value(ds, 0, CIRR_TAG_PATIENT_ID, "PID12345"); /* untouched */
    cirr_dicom_dataset_free(ds);
    ds = instance();
    assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_SOP_CLASS_UID, "1.2.840.10008.5.1.4.1.1.7"), CIRR_DICOM_OK);
    assert_int_equal(anon_dataset(ds, &key_a, &basic, reason, sizeof reason), ANON_QUARANTINED);
    assert_non_null(strstr(reason, "Secondary Capture"));
    static const char *const sc[] = {"1.2.840.10008.5.1.4.1.1.7", NULL};
    struct anon_options o = {.allowed_classes = sc};
    assert_int_equal(anon_dataset(ds, &key_a, &o, reason, sizeof reason), ANON_DONE);
    cirr_dicom_dataset_free(ds);
}

static void test_private_elements(void **state)
{
    (void)state;
    static const struct anon_private_keep keep[] = {{0x0019, 0x10, "CIRR KEEP"}};
    struct anon_options o = {.private_safelist = keep, .n_private_safelist = 1};
    cirr_dicom_element creator = {CIRR_TAG(0x0019, 0x0010), "LO", "CIRR KEEP", 0, NULL, 0};
    cirr_dicom_element kept = {CIRR_TAG(0x0019, 0x1010), "DS", "1.5", 0, "CIRR KEEP", 0};
    cirr_dicom_element other = {CIRR_TAG(0x0019, 0x1011), "LO", "JANE", 0, "CIRR KEEP", 0};
    cirr_dicom_element stranger = {CIRR_TAG(0x0019, 0x1110), "LO", "JANE", 0, "OTHER", 0};
    cirr_dicom_element orphan = {CIRR_TAG(0x0019, 0x1210), "LO", "JANE", 0, "", 0};
    assert_true(private_kept(&creator, &o));
    assert_true(private_kept(&kept, &o));
    assert_false(private_kept(&other, &o));
    assert_false(private_kept(&stranger, &o));
    assert_false(private_kept(&orphan, &o));
    assert_false(private_kept(&kept, &basic));
}

static void test_table_is_sorted_and_complete(void **state)
{
    (void)state;
    unsigned n;
    const struct anon_rule *rows = anon_profile_rows(&n);
    assert_true(n > 240);
    for (unsigned i = 1; i < n; i++)
        assert_true(rows[i - 1].tag < rows[i].tag);
    assert_int_equal(anon_profile_rule(CIRR_TAG_PATIENT_NAME)->basic, ANON_Z);
    assert_int_equal(anon_profile_rule(CIRR_TAG(0x0008, 0x1140))->basic, ANON_XZU);
    assert_null(anon_profile_rule(CIRR_TAG_MODALITY));
}

/* PS3.15 2024b's Table E.1-1, the newest edition obtainable when the table
 * was last checked (doc/anon.md): codes that had changed, and rows added
 * whose attributes went by their VR before (an LO or DS was kept). */
static void test_table_follows_the_2024b_edition(void **state)
{
    (void)state;
    static const struct { uint32_t tag; enum anon_code basic; } rows[] = {
        {CIRR_TAG(0x0008, 0x009C), ANON_Z},   /* Consulting Physician's Name */
        {CIRR_TAG(0x0018, 0x700A), ANON_XD},  /* Detector ID */
        {CIRR_TAG(0x0040, 0xA027), ANON_D},   /* Verifying Organization */
        {CIRR_TAG(0x0400, 0x0100), ANON_U},   /* Digital Signature UID */
        {CIRR_TAG(0x0012, 0x0010), ANON_D},   /* Clinical Trial Sponsor Name: added */
        {CIRR_TAG(0x0016, 0x0072), ANON_X},   /* GPS Latitude: added */
        {CIRR_TAG(0x0032, 0x1040), ANON_X},   /* Study Arrival Date: added */
        {CIRR_TAG(0x0040, 0xA730), ANON_X},   /* Content Sequence: D there, removed here (doc/anon.md) */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(anon_profile_rule(rows[i].tag)->basic, rows[i].basic);
    cirr_dicom_dataset *ds;
    char reason[256], expected[16];
    struct anon_options dates = {.retain_modified_dates = 1};
    for (int shifted = 0; shifted < 2; shifted++) {
        assert_int_equal(cirr_dicom_dataset_new(&ds), CIRR_DICOM_OK);
        assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG_PATIENT_ID, "PID12345"), CIRR_DICOM_OK);
        assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG(0x0012, 0x0010), "ACME PHARMA"), CIRR_DICOM_OK);
        assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG(0x0016, 0x0072), "52.1"), CIRR_DICOM_OK);
        assert_int_equal(cirr_dicom_set_string(ds, CIRR_TAG(0x0032, 0x1040), "20240229"), CIRR_DICOM_OK);
        assert_int_equal(anon_dataset(ds, &key_a, shifted ? &dates : &basic, reason, sizeof reason), ANON_DONE);
        assert_value(ds, 0, CIRR_TAG(0x0012, 0x0010), "ANONYMIZED");
        assert_absent(ds, 0, CIRR_TAG(0x0016, 0x0072));
        if (shifted) { /* the dates option shifts an added date as every other */
            assert_int_equal(dates_shift("20240229", pseudonym_day_shift(&key_a, "PID12345"), expected, sizeof expected), 0);
            assert_value(ds, 0, CIRR_TAG(0x0032, 0x1040), expected);
        } else {
            assert_absent(ds, 0, CIRR_TAG(0x0032, 0x1040));
        }
        cirr_dicom_dataset_free(ds);
    }
}

static void test_dates_shift(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(dates_shift("20240301", -1, out, sizeof out), 0);
    assert_string_equal(out, "20240229");
    assert_int_equal(dates_shift("20000101\\2000", -365, out, sizeof out), 0);
    assert_string_equal(out, "19990101\\"); /* no full date: dropped, never kept as is */
    assert_int_equal(dates_shift("20240301120000", -3652, out, sizeof out), 0);
    assert_string_equal(out, "20140302120000"); /* three leap days in between */
    assert_int_equal(dates_shift("20241301", -1, out, sizeof out), 0);
    assert_string_equal(out, "");
    assert_int_equal(dates_shift("20240301", -1, out, 5), -1);
}

static void write_key(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/anon_test.XXXXXX", path[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/key", dir);
    struct anon_key k;
    write_key(path, "a-good-long-project-key\n", 0600);
    assert_int_equal(anon_key_load(path, &k, err, sizeof err), 0);
    assert_int_equal(k.len, 23);
    write_key(path, "a-good-long-project-key\n", 0644);
    assert_int_equal(anon_key_load(path, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "a-good-long"));
    write_key(path, "short", 0600);
    assert_int_equal(anon_key_load(path, &k, err, sizeof err), -1);
    assert_null(strstr(err, "short"));
    unlink(path);
    assert_int_equal(anon_key_load(path, &k, err, sizeof err), -1);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_removes),
        cmocka_unit_test(test_z_empties),
        cmocka_unit_test(test_d_dummies),
        cmocka_unit_test(test_k_keeps),
        cmocka_unit_test(test_combined_codes),
        cmocka_unit_test(test_attributes_in_no_row_go_by_their_vr),
        cmocka_unit_test(test_u_replaces_every_uid_alike),
        cmocka_unit_test(test_identifiers_become_tokens),
        cmocka_unit_test(test_modified_dates_shift_per_patient),
        cmocka_unit_test(test_retain_patient_chars_and_device),
        cmocka_unit_test(test_clean_descriptors_keeps_only_the_safelist),
        cmocka_unit_test(test_records_what_was_done),
        cmocka_unit_test(test_quarantine),
        cmocka_unit_test(test_private_elements),
        cmocka_unit_test(test_table_is_sorted_and_complete),
        cmocka_unit_test(test_table_follows_the_2024b_edition),
        cmocka_unit_test(test_dates_shift),
        cmocka_unit_test(test_key_file),
    };
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
