/* Unit tests of init/redact.c: a secret is found in every form it can take
 * in a log line or the status file, and in any mix of them (issue 11,
 * finding 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "redact.h"

#include <stdlib.h>
#include <string.h>

/* text with value masked (cut: text was cut off at its end). */
static void expect(const char *value, const char *text, int cut, const char *want)
{
    size_t len = strlen(text);
    unsigned char *hit = calloc(len + 1, 1);
    assert_non_null(hit);
    assert_int_equal(redact_mark(value, text, len, cut, hit), 0);
    char *got = redact_apply(text, len, hit);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("value '%s' in '%s': got '%s', want '%s'", value, text, got, want);
    free(got);
    free(hit);
}

static void test_as_it_is(void **state)
{
    (void)state;
    expect("Sec-9x", "auth Sec-9x failed (Sec-9x)", 0, "auth [redacted] failed ([redacted])");
    expect("Sec-9x", "Sec-9", 0, "Sec-9");                  /* a prefix alone is not it */
    expect("Sec-9x", "sec-9x", 0, "sec-9x");                /* nor another case */
    expect("", "anything", 0, "anything");
    expect("aaa", "aaaa", 0, "[redacted]");                 /* overlapping occurrences */
}

static void test_newlines_joined_or_rewritten(void **state)
{
    (void)state;
    const char *v = "one-Lk3\ntwo-Mq8";
    expect(v, "x one-Lk3\ntwo-Mq8 y", 0, "x [redacted] y");
    expect(v, "x one-Lk3 two-Mq8 y", 0, "x [redacted] y");       /* echo $VAR */
    expect(v, "x one-Lk3\r\ntwo-Mq8 y", 0, "x [redacted] y");    /* LF as CR LF */
    expect(v, "x one-Lk3\\ntwo-Mq8 y", 0, "x [redacted] y");     /* JSON */
    expect(v, "x one-Lk3\\x0atwo-Mq8 y", 0, "x [redacted] y");   /* log_escape */
    expect("a-1\r\nb-2", "a-1 b-2", 0, "[redacted]");            /* CR LF as one space */
    expect("a-1\r\nb-2", "a-1  b-2", 0, "[redacted]");
}

static void test_url_encoded_wholly_or_in_part(void **state)
{
    (void)state;
    const char *v = "p@ss w/rd";
    expect(v, "GET /?t=p%40ss%20w%2Frd&x", 0, "GET /?t=[redacted]&x");
    expect(v, "GET /?t=p%40ss+w%2frd&x", 0, "GET /?t=[redacted]&x");
    expect(v, "GET /?t=p@ss%20w/rd&x", 0, "GET /?t=[redacted]&x");
    expect(v, "%70%40%73%73%20%77%2f%72%64", 0, "[redacted]");   /* every byte */
    expect("100%", "at 100%25 now", 0, "at [redacted] now");
}

static void test_json_c_and_conninfo_escapes(void **state)
{
    (void)state;
    expect("q\"u\\o/t", "{\"pw\": \"q\\\"u\\\\o\\/t\"}", 0, "{\"pw\": \"[redacted]\"}");
    expect("a\tb\x01" "c", "a\\tb\\u0001c", 0, "[redacted]");
    expect("a\tb\x01" "c", "a\\x09b\\x01c", 0, "[redacted]");
    expect("it's\\x", "password='it\\'s\\\\x'", 0, "password='[redacted]'");
    expect("it's", "WHERE pw = 'it''s'", 0, "WHERE pw = '[redacted]'");
}

static void test_a_cut_text_loses_the_beginning_of_a_secret_too(void **state)
{
    (void)state;
    expect("Straddle-9", "reason: Strad", 1, "reason: [redacted]");
    expect("Straddle-9", "reason: Strad", 0, "reason: Strad");   /* whole: nothing cut */
    expect("p@ss", "x p%4", 1, "x [redacted]");                  /* cut inside an escape */
    expect("Straddle-9", "reason: x", 1, "reason: x");
}

static void test_runs_of_marks_become_one_mask(void **state)
{
    (void)state;
    const char *text = "ab-1cd-2 ab-1";
    size_t len = strlen(text);
    unsigned char hit[16] = {0};
    assert_int_equal(redact_mark("ab-1", text, len, 0, hit), 0);
    assert_int_equal(redact_mark("cd-2", text, len, 0, hit), 0);
    char *got = redact_apply(text, len, hit);
    assert_string_equal(got, "[redacted] [redacted]");
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_it_is),
        cmocka_unit_test(test_newlines_joined_or_rewritten),
        cmocka_unit_test(test_url_encoded_wholly_or_in_part),
        cmocka_unit_test(test_json_c_and_conninfo_escapes),
        cmocka_unit_test(test_a_cut_text_loses_the_beginning_of_a_secret_too),
        cmocka_unit_test(test_runs_of_marks_become_one_mask),
    };
    return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
