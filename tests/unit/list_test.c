/* Unit tests of the list splitter (lib/list.c): "AET1, AET2,AET3" settings
 * become trimmed items, empty items vanish, and an empty setting is an
 * empty list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "list.h"

#include <stdlib.h>

/* Split text and compare with want (NULL-terminated). */
static void expect_split(const char *text, char sep, const char *const *want)
{
    char **got = list_split(text, sep);
    assert_non_null(got);
    size_t n = 0;
    for (; want[n]; n++) {
        if (!got[n])
            fail_msg("'%s': item %zu missing, wanted '%s'", text, n, want[n]);
        assert_string_equal(got[n], want[n]);
    }
    if (got[n])
        fail_msg("'%s': extra item '%s'", text, got[n]);
    assert_int_equal(list_len(got), n);
    list_free(got);
}

#define SPLIT(text, sep, ...) expect_split(text, sep, (const char *const[]){__VA_ARGS__, NULL})

static void test_items_are_trimmed(void **state)
{
    (void)state;
    SPLIT("AET1, AET2,AET3", ',', "AET1", "AET2", "AET3");
    SPLIT("  a\t,\tb  ", ',', "a", "b");
    SPLIT("one", ',', "one");
    /* spaces inside an item are the item's */
    SPLIT(" New York , Los Angeles", ',', "New York", "Los Angeles");
}

static void test_empty_items_are_dropped(void **state)
{
    (void)state;
    SPLIT(",,a,,b,,", ',', "a", "b");
    SPLIT("a, ,b", ',', "a", "b");
    SPLIT(" , x", ',', "x");
}

static void test_empty_text_is_an_empty_list(void **state)
{
    (void)state;
    const char *texts[] = {"", " ", ",", " , ,\t,"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char **got = list_split(texts[i], ',');
        assert_non_null(got);
        assert_null(got[0]);
        assert_int_equal(list_len(got), 0);
        list_free(got);
    }
}

static void test_other_separators(void **state)
{
    (void)state;
    /* only sep separates: a comma is text when sep is ':' */
    SPLIT("a,b: c :d", ':', "a,b", "c", "d");
    SPLIT("x;y;;z", ';', "x", "y", "z");
}

static void test_contains(void **state)
{
    (void)state;
    char **l = list_split("CT1, CT2,MR", ',');
    assert_int_equal(list_contains(l, "CT2"), 1);
    assert_int_equal(list_contains(l, "MR"), 1);
    assert_int_equal(list_contains(l, "CT"), 0);
    assert_int_equal(list_contains(l, "CT22"), 0);
    assert_int_equal(list_contains(l, "mr"), 0);
    assert_int_equal(list_contains(l, " CT2"), 0);
    assert_int_equal(list_contains(l, ""), 0);
    list_free(l);
    assert_int_equal(list_contains(NULL, "CT2"), 0);
}

static void test_len_and_free_accept_null(void **state)
{
    (void)state;
    assert_int_equal(list_len(NULL), 0);
    list_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_are_trimmed),
        cmocka_unit_test(test_empty_items_are_dropped),
        cmocka_unit_test(test_empty_text_is_an_empty_list),
        cmocka_unit_test(test_other_separators),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_len_and_free_accept_null),
    };
    return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
