/* Unit tests of C-FIND matching (images/mockpacs/match.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

/* One key against one value: does it match? */
static const struct {
    const char *vr, *key, *value;
    int want;
} cases[] = {
    /* universal and single value; case matters except for names */
    {"LO", "", "anything", 1},
    {"LO", "*", "anything", 1},
    {"LO", "MRN1", "MRN1", 1},
    {"LO", "MRN1", "MRN12", 0},
    {"LO", "mrn1", "MRN1", 0},
    {"PN", "smith^john", "SMITH^JOHN", 1},
    /* wildcards */
    {"PN", "SMI*", "SMITH^JOHN", 1},
    {"PN", "*JOHN", "SMITH^JOHN", 1},
    {"PN", "S?ITH*", "SMITH^JOHN", 1},
    {"PN", "S?ITH", "SMITH^JOHN", 0},
    {"LO", "A*B*C", "AxxBxxC", 1},
    {"LO", "A*B*C", "AxxBxx", 0},
    /* UID lists; a multi-valued code (ModalitiesInStudy) matches any of its values */
    {"UI", "1.2\\1.3", "1.3", 1},
    {"UI", "1.2\\1.3", "1.4", 0},
    {"UI", "1.2\\1.3", "1.2.3", 0},
    {"CS", "MR", "CT\\MR", 1},
    {"CS", "CR", "CT\\MR", 0},
    /* dates: one, or a closed or open range */
    {"DA", "20260115", "20260115", 1},
    {"DA", "20260115", "20260116", 0},
    {"DA", "20260115 ", "20260115", 1}, /* DICOM's padding */
    {"DA", "20260101-20260131", "20260115", 1},
    {"DA", "20260101-20260131", "20260101", 1},
    {"DA", "20260101-20260131", "20260131", 1},
    {"DA", "20260101-20260131", "20260201", 0},
    {"DA", "20260115-20260115", "20260115", 1},
    {"DA", "20260101-", "20991231", 1},
    {"DA", "-20260101", "20251231", 1},
    {"DA", "-20260101", "20260102", 0},
    {"DA", "20240229", "20240229", 1},
    {"DA", "20000229-", "20000229", 1},
    {"DA", "20260101-", "garbage", 0}, /* a value that is no date matches nothing */
    {"DA", "20260101-", "2027", 0},
    /* times: a time covers every finer one, on either side of a range */
    {"TM", "080000-120000", "093015", 1},
    {"TM", "080000-120000", "120000.5", 1},
    {"TM", "080000-120000", "130000", 0},
    {"TM", "10", "101500", 1},
    {"TM", "1015", "101559.999999", 1},
    {"TM", "1015", "101600", 0},
    {"TM", "101530", "101530.5", 1},
    {"TM", "101530.5", "101530.56", 1},
    {"TM", "101530.5", "101530.6", 0},
    {"TM", "-0800", "075959", 1},
    {"TM", "-0800", "080059.9", 1},
    {"TM", "-0800", "0801", 0},
    {"TM", "2300-", "235960", 1}, /* a leap second */
    {"TM", "12-12", "121500", 1},
    {"TM", "120000.123456 ", "120000.123456", 1},
    {"TM", "08-12", "12:00:00", 0}, /* not a TM value */
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof cases / sizeof *cases; n++)
        if (match_value(cases[n].vr, cases[n].key, cases[n].value) != cases[n].want)
            fail_msg("%s key '%s' value '%s': want %d", cases[n].vr, cases[n].key, cases[n].value, cases[n].want);
}

/* Today's semantics, as the recursive matcher had them: the reference the
 * new one must agree with (exponential, so only for short inputs). */
static int reference_wildcard(const char *p, const char *v)
{
    for (; *p; p++, v++) {
        if (*p == '*') {
            while (p[1] == '*')
                p++;
            if (!p[1])
                return 1;
            for (; *v; v++)
                if (reference_wildcard(p + 1, v))
                    return 1;
            return 0;
        }
        if (!*v || (*p != '?' && toupper((unsigned char)*p) != toupper((unsigned char)*v)))
            return 0;
    }
    return *v == '\0';
}

static void random_text(char *buf, size_t max, const char *alphabet)
{
    size_t n = (size_t)rand() % (max + 1), k = strlen(alphabet);
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[(size_t)rand() % k];
    buf[n] = '\0';
}

static void test_wildcards_agree_with_the_reference(void **state)
{
    (void)state;
    char p[16], v[16];
    srand(11);
    for (int n = 0; n < 200000; n++) {
        random_text(p, 10, "ab*?*A");
        random_text(v, 12, "abAB");
        unsigned long steps = 0;
        int want = reference_wildcard(p, v);
        if (match_wildcard(p, v, &steps) != want)
            fail_msg("pattern '%s' value '%s': want %d", p, v, want);
        if (strpbrk(p, "*?") && match_value("LO", p, v) != want) /* a key with wildcards */
            fail_msg("key '%s' value '%s': want %d", p, v, want);
        assert_true(steps <= (strlen(p) + 1) * (strlen(v) + 2));
    }
}

/* "*?*?...*?Z": the recursive matcher took minutes on this (8 pairs: 50 s). */
static void test_wildcards_in_linear_steps(void **state)
{
    (void)state;
    char p[64] = "", v[65];
    for (int i = 0; i < 30; i++)
        strcat(p, "*?");
    strcat(p, "Z");
    memset(v, 'a', 64);
    v[64] = '\0';
    unsigned long steps = 0;
    assert_false(match_wildcard(p, v, &steps));
    assert_true(steps <= (strlen(p) + 1) * (strlen(v) + 2));
    assert_false(match_value("LO", p, v));
    v[63] = 'z'; /* case folded: Z matches z */
    steps = 0;
    assert_true(match_wildcard(p, v, &steps));
    assert_true(steps <= (strlen(p) + 1) * (strlen(v) + 2));
    assert_true(match_value("PN", p, v));
    v[30] = '\0'; /* 29 characters before the Z: one '?' goes without */
    v[29] = 'Z';
    assert_false(match_value("LO", p, v));
}

static void test_date_ranges_for_the_index(void **state)
{
    (void)state;
    unsigned from = 1, to = 1;
    assert_int_equal(match_date_range("", &from, &to), 0);
    assert_true(from == 0 && to == 0);
    assert_int_equal(match_date_range("20260101-20260131", &from, &to), 0);
    assert_true(from == 20260101 && to == 20260131);
    assert_int_equal(match_date_range("20260101", &from, &to), 0);
    assert_true(from == 20260101 && to == 20260101);
    assert_int_equal(match_date_range("20260101-", &from, &to), 0);
    assert_true(from == 20260101 && to == 0);
    assert_int_equal(match_date_range("-20260101", &from, &to), 0);
    assert_true(from == 0 && to == 20260101);
    assert_int_equal(match_date_range("2026-01", &from, &to), -1);
    assert_int_equal(match_key_check("DA", ""), 0);
    assert_int_equal(match_key_check("DA", "*"), 0);
    assert_int_equal(match_key_check("DA", "20261001-20261015"), 0);
    assert_int_equal(match_key_check("TM", "080000-120000"), 0);
    assert_int_equal(match_key_check("LO", "abcdefgh"), 0);
}

static void test_dates_that_are_not_dates(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "abcdefgh", "---------", "-", "--", "2026", "202601", "2026-01", "2026*", "2026????",
        "20261301", "20260001", "20260132", "20260100", "20260431", "20250229", "19000229",
        "2026.01.01", "2026-01-01", " 20260101", "20260101\\20260102", "20260131-20260101",
        "20260101-20260131-", "20260101--20260131", "-20260101-", "20260101T", "+20260101",
    };
    for (size_t n = 0; n < sizeof bad / sizeof *bad; n++) {
        unsigned from, to;
        if (match_key_check("DA", bad[n]) != -1 || match_date_range(bad[n], &from, &to) != -1)
            fail_msg("'%s' taken for a date or range", bad[n]);
        if (match_value("DA", bad[n], "20260101") || match_value("DA", bad[n], "20260131"))
            fail_msg("'%s' matched a date", bad[n]);
    }
}

static void test_times_that_are_not_times(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "abcdef", "-", "1", "123", "12345", "24", "2400", "1260", "120060.", "120061", "120000.",
        "120000.1234567", "12:00:00", "12.5", "1200.5", "13-12", "120001-120000", "1200-1100-",
        "08-12-", "1200*", "12\\13",
    };
    for (size_t n = 0; n < sizeof bad / sizeof *bad; n++)
        if (match_key_check("TM", bad[n]) != -1 || match_value("TM", bad[n], "120000"))
            fail_msg("'%s' taken for a time or range", bad[n]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_wildcards_agree_with_the_reference),
        cmocka_unit_test(test_wildcards_in_linear_steps),
        cmocka_unit_test(test_date_ranges_for_the_index),
        cmocka_unit_test(test_dates_that_are_not_dates),
        cmocka_unit_test(test_times_that_are_not_times),
    };
    return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
