/* Unit tests of cirr-init's environment table (init/settings.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "CIRR_SERVICES", "CIRR_RUNDIR", "CIRR_SECRETS_DIR", "CIRR_FILE_ENV", "CIRR_VERBOSITY",
    "CIRR_LOG_TIMESTAMPS", "CIRR_ORPHAN_GRACE", "CIRR_TRAEFIK_DIR", "CIRR_CA_BUNDLE",
};

static int clear(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        unsetenv(names[i]);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    struct init_settings s;
    char err[256];
    assert_int_equal(settings_load(&s, err, sizeof err), 0);
    const char *texts[][2] = {
        {s.services, ""}, {s.rundir, "/run/cirr"}, {s.secrets_dir, "/run/secrets"},
        {s.file_env, ""}, {s.orphan_grace, "2s"}, {s.traefik_dir, ""},
        {s.ca_bundle, "/etc/ssl/certs/ca-certificates.crt"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_string_equal(texts[i][0], texts[i][1]);
    assert_int_equal(s.verbosity, 3);
    assert_false(settings_verbosity_given());
    assert_int_equal(s.timestamps, 0);
}

static void test_values_and_errors(void **state)
{
    (void)state;
    struct init_settings s;
    char err[256];
    setenv("CIRR_RUNDIR", "/tmp/run", 1);
    setenv("CIRR_SECRETS_DIR", "", 1); /* empty counts as unset */
    setenv("CIRR_VERBOSITY", "5", 1);
    setenv("CIRR_LOG_TIMESTAMPS", "1", 1);
    assert_int_equal(settings_load(&s, err, sizeof err), 0);
    assert_string_equal(s.rundir, "/tmp/run");
    assert_string_equal(s.secrets_dir, "/run/secrets");
    assert_int_equal(s.verbosity, 5);
    assert_true(settings_verbosity_given());
    assert_int_equal(s.timestamps, 1);
    setenv("CIRR_VERBOSITY", "loud", 1);
    assert_int_equal(settings_load(&s, err, sizeof err), -1);
    assert_string_equal(err, "CIRR_VERBOSITY: expected a number from 0 to 5, got 'loud'");
}

/* Every variable of the table is in --help, and in the manual's
 * Configuration section (the behaviour tests hold the two together too). */
static void test_help_lists_every_variable(void **state)
{
    (void)state;
    char buf[4096] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    settings_help(f);
    fclose(f);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strstr(buf, names[i]))
            fail_msg("%s missing from --help", names[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear),
        cmocka_unit_test_setup(test_values_and_errors, clear),
        cmocka_unit_test_setup(test_help_lists_every_variable, clear),
    };
    return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
