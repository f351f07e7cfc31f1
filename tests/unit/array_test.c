/* Unit tests of the growable array (lib/array.c): the first size, growth by
 * doubling with the contents kept, and failure that leaves the caller's
 * array as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "array.h"

#include <errno.h>
#include <stdlib.h>

/* Let ASan's allocator answer an impossible request with NULL, as malloc
 * does, instead of stopping the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* An empty array asked for need elements gets want_cap of them. */
static void expect_first(size_t need, size_t first, size_t want_cap)
{
    size_t cap = 0;
    int *a = array_grow(NULL, &cap, need, sizeof *a, first);
    assert_non_null(a);
    assert_int_equal(cap, want_cap);
    free(a);
}

static void test_first_allocation(void **state)
{
    (void)state;
    expect_first(1, 0, 16);
    expect_first(3, 4, 4);
    /* a first size too small for the need doubles until it fits */
    expect_first(9, 4, 16);
    /* asked for nothing, an empty array still gets a usable (non-NULL)
     * array: NULL means failure */
    expect_first(0, 2, 2);
}

static void test_growth_doubles_and_keeps_items(void **state)
{
    (void)state;
    size_t cap = 0, n = 0;
    unsigned *a = NULL;
    size_t seen[8] = {0}, grows = 0;
    for (unsigned i = 0; i < 1000; i++) {
        size_t before = cap;
        a = array_grow(a, &cap, n + 1, sizeof *a, 0);
        assert_non_null(a);
        if (cap != before)
            seen[grows++] = cap;
        a[n++] = i * 7;
    }
    /* 16, 32, ..., 1024: seven allocations for a thousand appends */
    assert_int_equal(grows, 7);
    for (size_t g = 0; g < grows; g++)
        assert_int_equal(seen[g], (size_t)16 << g);
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(a[i], i * 7);
    free(a);
}

static void test_enough_room_returns_the_same_array(void **state)
{
    (void)state;
    size_t cap = 0;
    char *a = array_grow(NULL, &cap, 10, 1, 0);
    assert_non_null(a);
    char *b = array_grow(a, &cap, 16, 1, 0);
    assert_ptr_equal(a, b);
    assert_int_equal(cap, 16);
    b = array_grow(a, &cap, 17, 1, 0);
    assert_non_null(b);
    assert_int_equal(cap, 32);
    free(b);
}

/* On failure: NULL, errno ENOMEM, capacity unchanged, items still ours. */
static void expect_failure(size_t need, size_t size)
{
    size_t cap = 4;
    unsigned long long *items = malloc(cap * sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < cap; i++)
        items[i] = 0x5eed0000ULL + i;
    errno = 0;
    void *grown = array_grow(items, &cap, need, size, 0);
    assert_null(grown);
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(cap, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(items[i], 0x5eed0000ULL + i);
    free(items);
}

static void test_count_overflow(void **state)
{
    (void)state;
    expect_failure(SIZE_MAX, 1);
    expect_failure(SIZE_MAX / 2 + 2, 1);
}

static void test_bytes_overflow(void **state)
{
    (void)state;
    /* 2^61 elements fit in size_t, 2^61 * 16 bytes do not */
    expect_failure((SIZE_MAX >> 3) + 1, 16);
    expect_failure(SIZE_MAX / 3, 8);
}

static void test_allocation_refused(void **state)
{
    (void)state;
    /* 2^50 bytes: representable, but no machine here has them */
    expect_failure((size_t)1 << 47, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_allocation),
        cmocka_unit_test(test_growth_doubles_and_keeps_items),
        cmocka_unit_test(test_enough_room_returns_the_same_array),
        cmocka_unit_test(test_count_overflow),
        cmocka_unit_test(test_bytes_overflow),
        cmocka_unit_test(test_allocation_refused),
    };
    return cmocka_run_group_tests_name("array", tests, NULL, NULL);
}
