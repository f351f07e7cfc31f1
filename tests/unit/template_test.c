/* Unit tests of the template language (init/template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "template.h"

#include <stdlib.h>
#include <string.h>

static const char *lookup(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "NAME") == 0) return "orthanc";
    if (strcmp(name, "EMPTY") == 0) return "";
    if (strcmp(name, "PASSWORD") == 0) return "p\"a\\s$s w\nx";
    return NULL;
}

static int is_secret(const char *name, void *ctx)
{
    (void)ctx;
    return strcmp(name, "PASSWORD") == 0;
}

static const struct template_env env = {lookup, is_secret, NULL};

static char *render_ok(const char *text, int *secret)
{
    char *out = NULL;
    struct template_error err;
    int s = 0;
    assert_int_equal(template_render(text, &env, &out, &s, &err), 0);
    if (secret)
        *secret = s;
    return out;
}

static void expect(const char *text, const char *want)
{
    char *out = render_ok(text, NULL);
    assert_string_equal(out, want);
    free(out);
}

static void expect_error(const char *text, int line, const char *fragment)
{
    char *out = (char *)"untouched";
    struct template_error err;
    assert_int_equal(template_render(text, &env, &out, NULL, &err), -1);
    assert_string_equal(out, "untouched");
    assert_int_equal(err.line, line);
    if (!strstr(err.message, fragment))
        fail_msg("error '%s' does not mention '%s'", err.message, fragment);
}

static void test_plain_and_variables(void **state)
{
    (void)state;
    expect("no refs", "no refs");
    expect("name=${NAME}.", "name=orthanc.");
    expect("unset=[${NOPE}]", "unset=[]");
    expect("cost $5 and $$HOME", "cost $5 and $HOME");
    expect("", "");
}

static void test_defaults(void **state)
{
    (void)state;
    expect("${NOPE:-fallback}", "fallback");
    expect("${EMPTY:-fallback}", "fallback");
    expect("${NAME:-fallback}", "orthanc");
    expect("${NOPE:-}", "");
    expect("${NOPE:-a b:c}", "a b:c");
}

static void test_required(void **state)
{
    (void)state;
    expect("${NAME:?must be set}", "orthanc");
    expect_error("a\nb\n${NOPE:?set the archive name}", 3, "NOPE: set the archive name");
    expect_error("${EMPTY:?}", 1, "EMPTY: required variable is not set");
}

static void test_json_filter(void **state)
{
    (void)state;
    int secret = 0;
    char *out = render_ok("{\"p\": \"${PASSWORD|json}\"}", &secret);
    assert_string_equal(out, "{\"p\": \"p\\\"a\\\\s$s w\\nx\"}");
    assert_int_equal(secret, 1);
    free(out);
    expect("${NOPE:-a\"b|json}", "a\\\"b");
    out = render_ok("${NAME}", &secret);
    assert_int_equal(secret, 0);
    free(out);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("x\n${NAME", 2, "unterminated");
    expect_error("${1BAD}", 1, "invalid variable name");
    expect_error("${NAME|yaml}", 1, "unknown filter 'yaml'");
    expect_error("${}", 1, "invalid variable name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_variables),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_json_filter),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
