/* Unit tests of the environment table (lib/envconf.c): each type of
 * setting, defaults, ranges, required variables, the one error line that
 * names the variable, and the --help text printed from the same table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "envconf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct settings {
    unsigned port;
    unsigned guard1; /* must survive the write into port */
    unsigned long long bytes;
    char aet[17];
    char tiny[4];
    const char *host;
    int verbose;
    unsigned guard2;
};

static const struct envconf_var table[] = {
    ENVCONF_NUM("ECT_PORT", "104", 1, 65535, struct settings, port, "DICOM port"),
    ENVCONF_NUM("ECT_BYTES", "5000000000", 0, ULLONG_MAX, struct settings, bytes, "bytes to keep"),
    ENVCONF_TXT("ECT_AET", "CIRR", 16, struct settings, aet, "our AE title"),
    ENVCONF_TXT("ECT_TINY", "abc", 0, struct settings, tiny, "what a char[4] holds"),
    ENVCONF_STR("ECT_HOST", "localhost", struct settings, host, "where the peer is"),
    ENVCONF_BOOL("ECT_VERBOSE", "false", struct settings, verbose, "say more"),
};
#define N_TABLE (sizeof table / sizeof *table)

static const char *const names[] = {"ECT_PORT", "ECT_BYTES", "ECT_AET", "ECT_TINY", "ECT_HOST",
                                    "ECT_VERBOSE", "ECT_REQ", "ECT_SMALL"};

static int clear_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
    return 0;
}

static int load(struct settings *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->guard1 = s->guard2 = 0xfeedu;
    err[0] = '\0';
    return envconf_load(table, N_TABLE, s, err, cap);
}

static void expect_defaults(void)
{
    struct settings s;
    char err[256];
    assert_int_equal(load(&s, err, sizeof err), 0);
    assert_int_equal(s.port, 104);
    assert_int_equal(s.bytes, 5000000000ULL);
    assert_string_equal(s.aet, "CIRR");
    assert_string_equal(s.tiny, "abc");
    assert_string_equal(s.host, "localhost");
    assert_int_equal(s.verbose, 0);
    assert_int_equal(s.guard1, 0xfeedu);
    assert_int_equal(s.guard2, 0xfeedu);
    assert_string_equal(err, "");
}

/* Unset or empty, a variable takes its default. */
static void test_defaults(void **state)
{
    (void)state;
    expect_defaults();
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        setenv(names[i], "", 1);
    expect_defaults();
}

static void test_values_from_the_environment(void **state)
{
    (void)state;
    setenv("ECT_PORT", "65535", 1);
    setenv("ECT_BYTES", "18446744073709551615", 1);
    setenv("ECT_AET", "AET456789ABCDEF6", 1);
    setenv("ECT_TINY", "xyz", 1);
    setenv("ECT_HOST", "pacs.example.org", 1);
    struct settings s;
    char err[256];
    assert_int_equal(load(&s, err, sizeof err), 0);
    assert_int_equal(s.port, 65535);
    assert_int_equal(s.bytes, ULLONG_MAX);
    assert_string_equal(s.aet, "AET456789ABCDEF6");
    assert_string_equal(s.tiny, "xyz");
    /* a string setting points at the environment's own text */
    assert_ptr_equal(s.host, getenv("ECT_HOST"));
    assert_int_equal(s.guard1, 0xfeedu);
}

/* name=value makes the load fail with exactly want. */
static void expect_error(const char *name, const char *value, const char *want)
{
    clear_env(NULL);
    setenv(name, value, 1);
    struct settings s;
    char err[256];
    if (load(&s, err, sizeof err) != -1)
        fail_msg("%s='%s' was accepted", name, value);
    assert_string_equal(err, want);
}

static void test_number_ranges(void **state)
{
    (void)state;
    const char *bad[] = {"0", "65536", "-1", "12a", "a12", " 5", "+5", "1e3", "0x10", "4294967400"};
    char want[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(want, sizeof want, "ECT_PORT: expected a number from 1 to 65535, got '%s'", bad[i]);
        expect_error("ECT_PORT", bad[i], want);
    }
    /* one past the largest unsigned long long does not wrap or saturate */
    expect_error("ECT_BYTES", "18446744073709551616",
                 "ECT_BYTES: expected a number from 0 to 18446744073709551615, got '18446744073709551616'");
    expect_error("ECT_BYTES", " -1",
                 "ECT_BYTES: expected a number from 0 to 18446744073709551615, got ' -1'");
}

static void test_booleans(void **state)
{
    (void)state;
    const char *yes[] = {"true", "TRUE", "yes", "Yes", "on", "1"}, *no[] = {"false", "No", "OFF", "0"};
    struct settings s;
    char err[256];
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        setenv("ECT_VERBOSE", yes[i], 1);
        assert_int_equal(load(&s, err, sizeof err), 0);
        assert_int_equal(s.verbose, 1);
        assert_int_equal(s.guard2, 0xfeedu);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        s.verbose = 7;
        setenv("ECT_VERBOSE", no[i], 1);
        assert_int_equal(envconf_load(table, N_TABLE, &s, err, sizeof err), 0);
        assert_int_equal(s.verbose, 0);
    }
    const char *bad[] = {"maybe", "2", "truee", " true", "y"};
    char want[128];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(want, sizeof want, "ECT_VERBOSE: expected true or false, got '%s'", bad[i]);
        expect_error("ECT_VERBOSE", bad[i], want);
    }
    assert_int_equal(envconf_bool("On"), 1);
    assert_int_equal(envconf_bool(""), -1);
}

static void test_text_too_long(void **state)
{
    (void)state;
    expect_error("ECT_AET", "AET456789ABCDEF67", "ECT_AET: at most 16 characters");
    /* maxlen 0: what the array holds, less the terminator */
    expect_error("ECT_TINY", "abcd", "ECT_TINY: at most 3 characters");
}

static void test_first_fault_is_reported(void **state)
{
    (void)state;
    setenv("ECT_BYTES", "x", 1);
    setenv("ECT_AET", "AET456789ABCDEF67", 1);
    struct settings s;
    char err[256];
    assert_int_equal(load(&s, err, sizeof err), -1);
    assert_string_equal(err, "ECT_BYTES: expected a number from 0 to 18446744073709551615, got 'x'");
}

struct required {
    unsigned small;
    const char *secret;
};

static const struct envconf_var required_table[] = {
    ENVCONF_NUM("ECT_SMALL", "7", 0, UINT_MAX, struct required, small, "a whole unsigned"),
    ENVCONF_STR("ECT_REQ", NULL, struct required, secret, "the password for the archive"),
};

static void test_required_missing(void **state)
{
    (void)state;
    struct required r = {0};
    char err[256];
    assert_int_equal(envconf_load(required_table, 2, &r, err, sizeof err), -1);
    assert_string_equal(err, "ECT_REQ is not set: the password for the archive");
    setenv("ECT_REQ", "", 1);
    assert_int_equal(envconf_load(required_table, 2, &r, err, sizeof err), -1);
    assert_string_equal(err, "ECT_REQ is not set: the password for the archive");
    setenv("ECT_REQ", "s3cret", 1);
    setenv("ECT_SMALL", "4294967295", 1);
    assert_int_equal(envconf_load(required_table, 2, &r, err, sizeof err), 0);
    assert_string_equal(r.secret, "s3cret");
    assert_int_equal(r.small, UINT_MAX);
}

/* A table whose range does not fit its field is a programming error that
 * is reported, not a silent truncation. */
struct odd {
    unsigned narrow;
    unsigned short tiny;
    char flag;
};

static void test_field_size_mismatch(void **state)
{
    (void)state;
    const struct envconf_var wide[] = {
        ENVCONF_NUM("ECT_SMALL", "1", 0, 1ULL << 40, struct odd, narrow, "too wide for unsigned"),
    };
    const struct envconf_var shorty[] = {
        ENVCONF_NUM("ECT_SMALL", "1", 0, 10, struct odd, tiny, "an unsigned short"),
    };
    const struct envconf_var small_bool[] = {
        ENVCONF_BOOL("ECT_SMALL", "yes", struct odd, flag, "a char is not an int"),
    };
    struct odd o = {0, 0, 0};
    char err[256];
    assert_int_equal(envconf_load(small_bool, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "ECT_SMALL: internal error: field of 1 bytes");
    assert_int_equal(envconf_load(wide, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "ECT_SMALL: internal error: field of 4 bytes");
    assert_int_equal(envconf_load(shorty, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "ECT_SMALL: internal error: field of 2 bytes");
    assert_int_equal(o.narrow, 0);
    assert_int_equal(o.tiny, 0);
    assert_int_equal(o.flag, 0);
}

static void test_number_and_get(void **state)
{
    (void)state;
    unsigned long long n = 99;
    char err[128];
    assert_int_equal(envconf_number("ECT_SMALL", "42", 0, 100, &n, err, sizeof err), 0);
    assert_int_equal(n, 42);
    setenv("ECT_SMALL", "101", 1);
    assert_int_equal(envconf_number("ECT_SMALL", "42", 0, 100, &n, err, sizeof err), -1);
    assert_int_equal(n, 42);
    assert_string_equal(err, "ECT_SMALL: expected a number from 0 to 100, got '101'");
    assert_string_equal(envconf_get("ECT_SMALL", "d"), "101");
    setenv("ECT_SMALL", "", 1);
    assert_string_equal(envconf_get("ECT_SMALL", "d"), "d");
    assert_null(envconf_get("ECT_SMALL", NULL));
    /* no value and no fallback: an error, not a crash */
    assert_int_equal(envconf_number("ECT_SMALL", NULL, 0, 100, &n, err, sizeof err), -1);
    assert_string_equal(err, "ECT_SMALL is not set");
}

static void test_help_text(void **state)
{
    (void)state;
    const struct envconf_var help_table[] = {
        table[0], table[2], required_table[1],
        ENVCONF_STR("ECT_OPTIONAL", "", struct settings, host, "empty unless set"),
        table[5],
    };
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    envconf_help(out, help_table, 5);
    fclose(out);
    assert_string_equal(text, "Environment:\n"
                              "  ECT_PORT (default 104) [1-65535]\n"
                              "      DICOM port\n"
                              "  ECT_AET (default CIRR)\n"
                              "      our AE title\n"
                              "  ECT_REQ (required)\n"
                              "      the password for the archive\n"
                              "  ECT_OPTIONAL\n"
                              "      empty unless set\n"
                              "  ECT_VERBOSE (default false) [true/false]\n"
                              "      say more\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_values_from_the_environment, clear_env),
        cmocka_unit_test_setup(test_number_ranges, clear_env),
        cmocka_unit_test_setup(test_booleans, clear_env),
        cmocka_unit_test_setup(test_text_too_long, clear_env),
        cmocka_unit_test_setup(test_first_fault_is_reported, clear_env),
        cmocka_unit_test_setup(test_required_missing, clear_env),
        cmocka_unit_test_setup(test_field_size_mismatch, clear_env),
        cmocka_unit_test_setup(test_number_and_get, clear_env),
        cmocka_unit_test(test_help_text),
    };
    return cmocka_run_group_tests_name("envconf", tests, NULL, NULL);
}
