/* Unit tests of textfile_read (lib/textfile.c): how a secret file written
 * by `echo`, `printf` or an editor comes back, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/textfile_test.XXXXXX";

static void write_file(const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void expect(const char *data, size_t n, const char *want)
{
    write_file(data, n);
    char *got = textfile_read(path, 64);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_trailing_line_breaks_are_cut_inner_ones_kept(void **state)
{
    (void)state;
    expect("s3cret\n", 7, "s3cret");
    expect("s3cret\r\n\n", 9, "s3cret");
    expect("line one\nline two\n", 18, "line one\nline two");
    expect("  spaced  ", 10, "  spaced  ");
    expect("", 0, "");
}

static void test_a_file_larger_than_max_is_refused(void **state)
{
    (void)state;
    char big[65];
    memset(big, 'x', sizeof big);
    write_file(big, sizeof big);
    errno = 0;
    assert_null(textfile_read(path, 64));
    assert_int_equal(errno, EFBIG);
    expect(big, 64, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static void test_a_nul_byte_is_refused_rather_than_cutting_the_value(void **state)
{
    (void)state;
    write_file("abc\0def", 7);
    errno = 0;
    assert_null(textfile_read(path, 64));
    assert_int_equal(errno, EINVAL);
}

static void test_a_missing_file_says_why(void **state)
{
    (void)state;
    errno = 0;
    assert_null(textfile_read("/nonexistent/secret", 64));
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trailing_line_breaks_are_cut_inner_ones_kept),
        cmocka_unit_test(test_a_file_larger_than_max_is_refused),
        cmocka_unit_test(test_a_nul_byte_is_refused_rather_than_cutting_the_value),
        cmocka_unit_test(test_a_missing_file_says_why),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(path);
    return rc;
}
