/* Unit tests of log_escape (lib/log.c): a peer's value in a log line can
 * neither end the line nor forge another (issue 11, finding 8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

#include <string.h>

static void test_printable_ascii_is_kept(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(log_escape(out, sizeof out, "CT1 1.2.840.10008.5.1.4.1.1.2 a\\b"),
                        "CT1 1.2.840.10008.5.1.4.1.1.2 a\\b");
}

static void test_control_and_high_bytes_become_hex(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(log_escape(out, sizeof out, "CT\ncirr-mux: info: forged\r\t"),
                        "CT\\x0acirr-mux: info: forged\\x0d\\x09");
    assert_string_equal(log_escape(out, sizeof out, "\x1b[31m\x7f\xc3\xa9"), "\\x1b[31m\\x7f\\xc3\\xa9");
}

static void test_null_is_empty(void **state)
{
    (void)state;
    char out[8] = "junk";
    assert_string_equal(log_escape(out, sizeof out, NULL), "");
}

/* Cut to fit, never in the middle of an escape. */
static void test_truncation_keeps_escapes_whole(void **state)
{
    (void)state;
    char out[6];
    assert_string_equal(log_escape(out, sizeof out, "ab\ncd"), "ab"); /* "ab\x0a" needs 7 */
    assert_string_equal(log_escape(out, sizeof out, "abcdefgh"), "abcde");
    char one[1];
    assert_string_equal(log_escape(one, sizeof one, "abc"), "");
    char room[LOG_ESCAPED_SIZE(3)];
    assert_string_equal(log_escape(room, sizeof room, "\n\n\n"), "\\x0a\\x0a\\x0a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printable_ascii_is_kept),
        cmocka_unit_test(test_control_and_high_bytes_become_hex),
        cmocka_unit_test(test_null_is_empty),
        cmocka_unit_test(test_truncation_keeps_escapes_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
