/* Unit tests of the backoff arithmetic (lib/backoff.c): delays that double
 * up to a cap, the failure count, and jitter within [delay/2, delay]. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

#include <limits.h>
#include <stdlib.h>

/* backoff_delay_ms: doubles per failure up to the cap, and never overflows. */
static void test_delays(void **state)
{
    (void)state;
    static const struct { unsigned base, cap, failures, want; } rows[] = {
        {1000, 30000, 0, 1000}, {1000, 30000, 1, 2000}, {1000, 30000, 4, 16000},
        {1000, 30000, 5, 30000}, {1000, 30000, 1000000, 30000},
        {4000000000u, 4200000000u, 64, 4200000000u}, {0, 500, 10, 0}, {800, 500, 0, 500},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (backoff_delay_ms(rows[i].base, rows[i].cap, rows[i].failures) != rows[i].want)
            fail_msg("backoff_delay_ms(%u, %u, %u) != %u", rows[i].base, rows[i].cap,
                     rows[i].failures, rows[i].want);
}

static void test_reset_after_stable_run(void **state)
{
    (void)state;
    assert_int_equal(backoff_next_failures(0, 100, 10000), 1);
    assert_int_equal(backoff_next_failures(3, 9999, 10000), 4);
    assert_int_equal(backoff_next_failures(3, 10000, 10000), 0);
    assert_int_equal(backoff_next_failures(7, 3600000, 10000), 0);
}

/* Draw n jittered delays of delay_ms: all in [delay/2, delay]; *lo and *hi
 * get the smallest and largest drawn. */
static void draw(unsigned long long delay_ms, int n, unsigned long long *lo, unsigned long long *hi)
{
    *lo = ULLONG_MAX;
    *hi = 0;
    for (int i = 0; i < n; i++) {
        unsigned long long d = backoff_jitter_ms(delay_ms);
        if (d < delay_ms / 2 || d > delay_ms)
            fail_msg("jitter of %llu gave %llu, outside [%llu, %llu]", delay_ms, d, delay_ms / 2, delay_ms);
        *lo = d < *lo ? d : *lo;
        *hi = d > *hi ? d : *hi;
    }
}

static void test_jitter_stays_in_range(void **state)
{
    (void)state;
    unsigned long long lo, hi;
    srand(12345);
    draw(0, 100, &lo, &hi);
    assert_int_equal(hi, 0);
    /* the small cases reach both ends */
    draw(1, 200, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1);
    draw(3, 200, &lo, &hi);
    assert_int_equal(lo, 1);
    assert_int_equal(hi, 3);
    draw(ULLONG_MAX, 1000, &lo, &hi);
}

/* Spread over the whole range, not bunched at one end, whatever the size:
 * 4000 draws come within 5% of both ends. */
static void test_jitter_spreads(void **state)
{
    (void)state;
    const unsigned long long delays[] = {1000, 30000, 1ULL << 40, ULLONG_MAX};
    srand(777);
    for (size_t i = 0; i < sizeof delays / sizeof *delays; i++) {
        unsigned long long d = delays[i], lo, hi;
        draw(d, 4000, &lo, &hi);
        if (lo > d / 2 + d / 20 || hi < d - d / 20)
            fail_msg("jitter of %llu drew only [%llu, %llu]", d, lo, hi);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delays),
        cmocka_unit_test(test_reset_after_stable_run),
        cmocka_unit_test(test_jitter_stays_in_range),
        cmocka_unit_test(test_jitter_spreads),
    };
    return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
