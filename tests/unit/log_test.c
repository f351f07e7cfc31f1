/* Unit tests of lib/log.c: log_escape, a peer's value in a log line can
 * neither end the line nor forge another (issue 11, finding 8); the text
 * redactor sees a whole text, cut only after it was redacted (finding 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A stand-in for secrets.c: masks "SECRET-XYZ", and when the text was cut,
 * a beginning of it at the very end. */
static char *mask_secret(const char *text, int cut)
{
    static const char secret[] = "SECRET-XYZ";
    size_t n = strlen(text);
    char *out = malloc(2 * n + 16);
    char *w = out;
    for (const char *p = text; *p;) {
        size_t rest = strlen(p);
        if (strncmp(p, secret, rest < sizeof secret - 1 ? rest : sizeof secret - 1) == 0 &&
            (rest >= sizeof secret - 1 || cut)) {
            w += sprintf(w, "[redacted]");
            p += rest < sizeof secret - 1 ? rest : sizeof secret - 1;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

static void test_format_redacts_before_it_cuts(void **state)
{
    (void)state;
    char out[20];
    log_set_text_redactor(mask_secret);
    /* cut first, "...SEC" would be left: it does not match the whole secret */
    assert_string_equal(log_format(out, sizeof out, "%s%s", "0123456789abcdef", "SECRET-XYZ"),
                        "0123456789abcdef[re");
    char *r = log_redact_text("tail SECRET-X", 1);
    assert_string_equal(r, "tail [redacted]");
    free(r);
    char buf[32] = "a SECRET-XYZ b";
    log_redact(buf, sizeof buf);
    assert_string_equal(buf, "a [redacted] b");
    log_set_text_redactor(NULL);
}

/* A log line longer than LOG_LINE_MAX, a secret across the place where it
 * is cut: the secret is masked whole before the cut. */
static void test_long_line_redacted_whole_then_cut(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(f), STDERR_FILENO);
    log_set_text_redactor(mask_secret);
    char msg[3000];
    memset(msg, 'x', sizeof msg);
    memcpy(msg + LOG_LINE_MAX - 18, "SECRET-XYZ", 10); /* "t: error: " before it: 2040 */
    msg[sizeof msg - 1] = '\0';
    log_prog = "t";
    log_msg(LOG_ERROR, NULL, "%s", msg);
    log_set_text_redactor(NULL);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char line[4096] = "";
    rewind(f);
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    assert_int_equal(n, LOG_LINE_MAX - 1);          /* cut, newline included */
    assert_int_equal(line[n - 1], '\n');
    assert_null(strstr(line, "SECRET"));
    assert_non_null(strstr(line, "x[redac\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printable_ascii_is_kept),
        cmocka_unit_test(test_control_and_high_bytes_become_hex),
        cmocka_unit_test(test_null_is_empty),
        cmocka_unit_test(test_truncation_keeps_escapes_whole),
        cmocka_unit_test(test_format_redacts_before_it_cuts),
        cmocka_unit_test(test_long_line_redacted_whole_then_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
