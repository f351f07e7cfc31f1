/* Unit tests of cirr-pg-init's environment (images/postgres/pg_settings.c):
 * defaults, the switches, and the names it puts into SQL, all checked
 * before initdb runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pg_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Load with the environment vars (NULL-terminated). */
static int load(char **vars, struct pg_settings *s, char *err, size_t cap)
{
    char **saved = environ;
    environ = vars;
    err[0] = '\0';
    int rc = pg_settings_load(s, err, cap);
    environ = saved;
    return rc;
}

static void test_defaults(void **state)
{
    (void)state;
    struct pg_settings s;
    char err[256];
    assert_int_equal(load((char *[]){"POSTGRES_PASSWORD=pw", NULL}, &s, err, sizeof err), 0);
    assert_string_equal(s.password, "pw");
    assert_string_equal(s.user, "postgres");
    assert_string_equal(s.db, "postgres");
    assert_string_equal(s.databases, "");
    assert_int_equal(s.autotune, 0);
    assert_int_equal(s.max_connections, 100);
    assert_string_equal(s.pgdata, "/var/lib/postgresql/data");
    assert_string_equal(s.bindir, "/usr/lib/postgresql/15/bin");
}

static void test_values(void **state)
{
    (void)state;
    struct pg_settings s;
    char err[256];
    char *vars[] = {"POSTGRES_PASSWORD=pw", "POSTGRES_USER=admin", "POSTGRES_DATABASES=a, b ,,c",
                    "POSTGRES_AUTOTUNE=1", "POSTGRES_MAX_CONNECTIONS=10000", "PGDATA=/data", NULL};
    assert_int_equal(load(vars, &s, err, sizeof err), 0);
    assert_string_equal(s.user, "admin");
    assert_string_equal(s.db, "admin"); /* POSTGRES_DB follows POSTGRES_USER */
    assert_string_equal(s.databases, "a, b ,,c");
    assert_int_equal(s.autotune, 1);
    assert_int_equal(s.max_connections, 10000);
    assert_string_equal(s.pgdata, "/data");
}

/* Before, any text but "", "0", "false" and "no" turned autotune on:
 * FALSE and off did, and a typo did silently. */
static void test_autotune_is_a_switch(void **state)
{
    (void)state;
    struct pg_settings s;
    char err[256];
    const char *off[] = {"POSTGRES_AUTOTUNE=FALSE", "POSTGRES_AUTOTUNE=off", "POSTGRES_AUTOTUNE=0",
                         "POSTGRES_AUTOTUNE="};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        assert_int_equal(load((char *[]){"POSTGRES_PASSWORD=pw", (char *)off[i], NULL}, &s, err, sizeof err), 0);
        assert_int_equal(s.autotune, 0);
    }
    assert_int_equal(load((char *[]){"POSTGRES_PASSWORD=pw", "POSTGRES_AUTOTUNE=yes", NULL}, &s, err, sizeof err), 0);
    assert_int_equal(s.autotune, 1);
    assert_int_equal(load((char *[]){"POSTGRES_PASSWORD=pw", "POSTGRES_AUTOTUNE=tru", NULL}, &s, err, sizeof err), -1);
    assert_string_equal(err, "POSTGRES_AUTOTUNE: expected true or false, got 'tru'");
}

static void expect_error(char *var, const char *want)
{
    struct pg_settings s;
    char err[256];
    if (load((char *[]){"POSTGRES_PASSWORD=pw", var, NULL}, &s, err, sizeof err) != -1)
        fail_msg("%s was accepted", var);
    assert_string_equal(err, want);
}

static void test_errors_name_the_variable(void **state)
{
    (void)state;
    struct pg_settings s;
    char err[256];
    assert_int_equal(load((char *[]){"POSTGRES_USER=x", NULL}, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "POSTGRES_PASSWORD is not set"));
    assert_int_equal(load((char *[]){"POSTGRES_PASSWORD=", NULL}, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "POSTGRES_PASSWORD is not set"));
    expect_error("POSTGRES_MAX_CONNECTIONS=4", "POSTGRES_MAX_CONNECTIONS: expected a number from 5 to 10000, got '4'");
    expect_error("POSTGRES_MAX_CONNECTIONS=lots",
                 "POSTGRES_MAX_CONNECTIONS: expected a number from 5 to 10000, got 'lots'");
    expect_error("POSTGRES_USER=bad name",
                 "POSTGRES_USER: 'bad name' has a character other than letters, digits, '_' and '-'");
    expect_error("POSTGRES_DB=x\"; DROP",
                 "POSTGRES_DB: 'x\"; DROP' has a character other than letters, digits, '_' and '-'");
    char long_db[80];
    snprintf(long_db, sizeof long_db, "POSTGRES_DB=%064d", 0);
    expect_error(long_db, "POSTGRES_DB: database and user names are 1 to 63 characters");
}

/* Before, a bad name in POSTGRES_DATABASES stopped cirr-pg-init after
 * initdb, leaving a cluster without its databases for good. */
static void test_every_database_name_is_checked_up_front(void **state)
{
    (void)state;
    expect_error("POSTGRES_DATABASES=a,b;c,d",
                 "POSTGRES_DATABASES: 'b;c' has a character other than letters, digits, '_' and '-'");
    struct pg_settings s;
    char err[256];
    char *spaces[] = {"POSTGRES_PASSWORD=pw", "POSTGRES_DATABASES= archive , bridge ,", NULL};
    assert_int_equal(load(spaces, &s, err, sizeof err), 0);
}

static void test_help_lists_the_table(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    envconf_help(out, pg_table, pg_table_len);
    fclose(out);
    const char *want[] = {"  POSTGRES_PASSWORD (required)\n", "  POSTGRES_USER (default postgres)\n",
                          "  POSTGRES_AUTOTUNE (default false) [true/false]\n",
                          "  POSTGRES_MAX_CONNECTIONS (default 100) [5-10000]\n",
                          "  PGDATA (default /var/lib/postgresql/data)\n"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(text, want[i]))
            fail_msg("missing '%s' in:\n%s", want[i], text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_autotune_is_a_switch),
        cmocka_unit_test(test_errors_name_the_variable),
        cmocka_unit_test(test_every_database_name_is_checked_up_front),
        cmocka_unit_test(test_help_lists_the_table),
    };
    return cmocka_run_group_tests_name("pg_settings", tests, NULL, NULL);
}
