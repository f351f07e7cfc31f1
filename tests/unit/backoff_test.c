/* Unit tests of the restart backoff arithmetic (init/backoff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

static void test_doubles_until_cap(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(1000, 30000, 0), 1000);
    assert_int_equal(backoff_delay_ms(1000, 30000, 1), 2000);
    assert_int_equal(backoff_delay_ms(1000, 30000, 4), 16000);
    assert_int_equal(backoff_delay_ms(1000, 30000, 5), 30000);
    assert_int_equal(backoff_delay_ms(1000, 30000, 1000000), 30000);
}

static void test_no_overflow(void **state)
{
    (void)state;
    assert_int_equal(backoff_delay_ms(4000000000u, 4200000000u, 64), 4200000000u);
    assert_int_equal(backoff_delay_ms(0, 500, 10), 0);
    assert_int_equal(backoff_delay_ms(800, 500, 0), 500);
}

static void test_reset_after_stable_run(void **state)
{
    (void)state;
    assert_int_equal(backoff_next_failures(0, 100, 10000), 1);
    assert_int_equal(backoff_next_failures(3, 9999, 10000), 4);
    assert_int_equal(backoff_next_failures(3, 10000, 10000), 0);
    assert_int_equal(backoff_next_failures(7, 3600000, 10000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doubles_until_cap),
        cmocka_unit_test(test_no_overflow),
        cmocka_unit_test(test_reset_after_stable_run),
    };
    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
