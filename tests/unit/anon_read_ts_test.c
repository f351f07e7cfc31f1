/* Unit test of cirr_dicom_dataset_read's transfer syntax (issue 14): a
 * file read back reports the syntax it was written in, uncompressed
 * (Implicit and Explicit VR Little Endian, Explicit VR Big Endian) as well
 * as compressed (JPEG-LS lossless), so that a program forwarding or
 * re-writing it as is keeps that syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cirr_dicom.h"
#include "cirr_dicom_forward.h"
#include "cirr_dicom_tags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TS_EXPLICIT_BE "1.2.840.10008.1.2.2"
#define SIDE 32

/* A small 16-bit monochrome CT image with a ramp in its pixels. */
static cirr_dicom_dataset *image(void)
{
    cirr_dicom_dataset *ds;
    assert_int_equal(cirr_dicom_dataset_new(&ds), CIRR_DICOM_OK);
    static const struct { uint32_t tag; const char *value; } attrs[] = {
        {CIRR_TAG_SOP_CLASS_UID, "1.2.840.10008.5.1.4.1.1.2"},
        {CIRR_TAG_SOP_INSTANCE_UID, "1.2.826.0.1.3680043.2.1125.9.1"},
        {CIRR_TAG_PATIENT_NAME, "DOE^JANE"},
        {CIRR_TAG(0x0028, 0x0002), "1"},           {CIRR_TAG(0x0028, 0x0004), "MONOCHROME2"},
        {CIRR_TAG(0x0028, 0x0010), "32"},          {CIRR_TAG(0x0028, 0x0011), "32"},
        {CIRR_TAG(0x0028, 0x0100), "16"},          {CIRR_TAG(0x0028, 0x0101), "12"},
        {CIRR_TAG(0x0028, 0x0102), "11"},          {CIRR_TAG(0x0028, 0x0103), "0"},
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        assert_int_equal(cirr_dicom_set_string(ds, attrs[i].tag, attrs[i].value), CIRR_DICOM_OK);
    uint16_t pixels[SIDE * SIDE];
    for (unsigned i = 0; i < SIDE * SIDE; i++)
        pixels[i] = (uint16_t)(i % 4096);
    assert_int_equal(cirr_dicom_set_bytes(ds, CIRR_TAG(0x7FE0, 0x0010), pixels, sizeof pixels), CIRR_DICOM_OK);
    return ds;
}

/* Write ds to a temporary file in ts, read it back, check the syntax and
 * that the patient's name came through. */
static void round_trip(cirr_dicom_dataset *ds, const char *ts)
{
    char path[] = "/tmp/anon_read_ts_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cirr_dicom_dataset_write(ds, path, ts), CIRR_DICOM_OK);
    cirr_dicom_dataset *back = NULL;
    assert_int_equal(cirr_dicom_dataset_read(path, &back), CIRR_DICOM_OK);
    char got[80], name[80];
    assert_int_equal(cirr_dicom_dataset_ts(back, got, sizeof got), CIRR_DICOM_OK);
    assert_string_equal(got, ts);
    assert_int_equal(cirr_dicom_get_string(back, CIRR_TAG_PATIENT_NAME, name, sizeof name), CIRR_DICOM_OK);
    assert_string_equal(name, "DOE^JANE");
    cirr_dicom_dataset_free(back);
    unlink(path);
}

static void test_uncompressed_syntaxes(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = image();
    round_trip(ds, CIRR_DICOM_TS_IMPLICIT_LE);
    round_trip(ds, CIRR_DICOM_TS_EXPLICIT_LE);
    round_trip(ds, TS_EXPLICIT_BE);
    cirr_dicom_dataset_free(ds);
}

static void test_jpeg_ls(void **state)
{
    (void)state;
    cirr_dicom_dataset *ds = image();
    assert_int_equal(cirr_dicom_compress(ds, CIRR_DICOM_TS_JPEG_LS_LOSSLESS), CIRR_DICOM_OK);
    round_trip(ds, CIRR_DICOM_TS_JPEG_LS_LOSSLESS);
    cirr_dicom_dataset_free(ds);
}

/* A file that is not DICOM is a parse or I/O error, with nothing handed out. */
static void test_not_dicom(void **state)
{
    (void)state;
    char path[] = "/tmp/anon_read_ts_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a dicom file", 16), 16);
    close(fd);
    cirr_dicom_dataset *ds = NULL;
    assert_int_not_equal(cirr_dicom_dataset_read(path, &ds), CIRR_DICOM_OK);
    unlink(path);
}

static int setup(void **state)
{
    (void)state;
    return cirr_dicom_init() == CIRR_DICOM_OK && cirr_dicom_encoders_init() == CIRR_DICOM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cirr_dicom_encoders_cleanup();
    cirr_dicom_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uncompressed_syntaxes),
        cmocka_unit_test(test_jpeg_ls),
        cmocka_unit_test(test_not_dicom),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
