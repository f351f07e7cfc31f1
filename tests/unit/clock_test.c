/* Unit tests of the two clocks (lib/clock.c): the monotonic clock never goes
 * back and measures real time; the wall clock is the Unix epoch's; the
 * timespec of a deadline wakes a timed wait at that deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"

#include <errno.h>
#include <time.h>

/* 2020-01-01T00:00:00Z in ms: any wall clock reading is later. */
#define EPOCH_2020_MS 1577836800000ULL

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void test_monotonic_never_goes_back(void **state)
{
    (void)state;
    uint64_t prev = clock_mono_ms();
    for (int i = 0; i < 200000; i++) {
        uint64_t now = clock_mono_ms();
        assert_true(now >= prev);
        prev = now;
    }
}

static void test_monotonic_measures_a_sleep(void **state)
{
    (void)state;
    uint64_t start = clock_mono_ms();
    sleep_ms(30);
    uint64_t took = clock_mono_ms() - start;
    assert_in_range(took, 30, 2000);
}

static void test_wall_clock_is_the_epoch(void **state)
{
    (void)state;
    uint64_t wall = clock_wall_ms();
    time_t now = time(NULL);
    assert_true(wall > EPOCH_2020_MS);
    /* the same second as time(), give or take the one between the reads */
    assert_in_range(wall / 1000, (uint64_t)now - 1, (uint64_t)now + 1);
    /* the two clocks are different clocks: monotonic starts near boot */
    assert_true(clock_mono_ms() < wall);
}

static void test_timespec_splits_milliseconds(void **state)
{
    (void)state;
    struct timespec ts = clock_timespec(0);
    assert_int_equal(ts.tv_sec, 0);
    assert_int_equal(ts.tv_nsec, 0);
    ts = clock_timespec(999);
    assert_int_equal(ts.tv_sec, 0);
    assert_int_equal(ts.tv_nsec, 999000000L);
    ts = clock_timespec(1500);
    assert_int_equal(ts.tv_sec, 1);
    assert_int_equal(ts.tv_nsec, 500000000L);
    ts = clock_timespec(1000000000001ULL);
    assert_int_equal(ts.tv_sec, 1000000000);
    assert_int_equal(ts.tv_nsec, 1000000L);
}

/* What the timespec is for: an absolute deadline on the monotonic clock. */
static void test_timespec_is_a_monotonic_deadline(void **state)
{
    (void)state;
    uint64_t deadline = clock_mono_ms() + 40;
    struct timespec ts = clock_timespec(deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    uint64_t woke = clock_mono_ms();
    assert_in_range(woke, deadline, deadline + 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotonic_never_goes_back),
        cmocka_unit_test(test_monotonic_measures_a_sleep),
        cmocka_unit_test(test_wall_clock_is_the_epoch),
        cmocka_unit_test(test_timespec_splits_milliseconds),
        cmocka_unit_test(test_timespec_is_a_monotonic_deadline),
    };
    return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
