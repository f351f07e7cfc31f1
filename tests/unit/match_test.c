/* Unit tests of C-FIND matching (images/mockpacs/match.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "match.h"

static void test_universal_and_single_value(void **state)
{
    (void)state;
    assert_true(match_value("LO", "", "anything"));
    assert_true(match_value("LO", "*", "anything"));
    assert_true(match_value("LO", "MRN1", "MRN1"));
    assert_false(match_value("LO", "MRN1", "MRN12"));
    assert_false(match_value("LO", "mrn1", "MRN1")); /* case matters except for names */
    assert_true(match_value("PN", "smith^john", "SMITH^JOHN"));
}

static void test_wildcards(void **state)
{
    (void)state;
    assert_true(match_value("PN", "SMI*", "SMITH^JOHN"));
    assert_true(match_value("PN", "*JOHN", "SMITH^JOHN"));
    assert_true(match_value("PN", "S?ITH*", "SMITH^JOHN"));
    assert_false(match_value("PN", "S?ITH", "SMITH^JOHN"));
    assert_true(match_value("LO", "A*B*C", "AxxBxxC"));
    assert_false(match_value("LO", "A*B*C", "AxxBxx"));
}

static void test_uid_lists(void **state)
{
    (void)state;
    assert_true(match_value("UI", "1.2\\1.3", "1.3"));
    assert_false(match_value("UI", "1.2\\1.3", "1.4"));
    assert_false(match_value("UI", "1.2\\1.3", "1.2.3"));
}

static void test_ranges(void **state)
{
    (void)state;
    assert_true(match_value("DA", "20260101-20260131", "20260115"));
    assert_false(match_value("DA", "20260101-20260131", "20260201"));
    assert_true(match_value("DA", "20260101-", "20991231"));
    assert_true(match_value("DA", "-20260101", "20251231"));
    assert_false(match_value("DA", "-20260101", "20260102"));
    assert_true(match_value("TM", "080000-120000", "093015"));
    assert_true(match_value("TM", "080000-120000", "120000.5"));
    assert_false(match_value("TM", "080000-120000", "130000"));
    unsigned from, to;
    assert_int_equal(match_date_range("20260101-20260131", &from, &to), 0);
    assert_int_equal(from, 20260101);
    assert_int_equal(to, 20260131);
    assert_int_equal(match_date_range("20260101", &from, &to), 0);
    assert_int_equal(from, to);
    assert_int_equal(match_date_range("2026-01", &from, &to), -1);
}

static void test_multi_valued_codes(void **state)
{
    (void)state;
    assert_true(match_value("CS", "MR", "CT\\MR"));
    assert_false(match_value("CS", "CR", "CT\\MR"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_universal_and_single_value),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_uid_lists),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_multi_valued_codes),
    };
    return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
