/* Unit tests of secret loading and redaction (init/secrets.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], secrets_dir[96];

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/cirr-secrets-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(secrets_dir, sizeof secrets_dir, "%s/run-secrets", dir);
    mkdir(secrets_dir, 0700);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void test_file_variable(void **state)
{
    (void)state;
    char path[160], msg[256];
    snprintf(path, sizeof path, "%s/pw", dir);
    write_file(path, "s3cr\"et\n\n", 0600);
    unsetenv("DB_PASSWORD");
    setenv("DB_PASSWORD_FILE", path, 1);
    assert_int_equal(secrets_load(NULL, NULL, msg, sizeof msg), 0);
    assert_string_equal(getenv("DB_PASSWORD"), "s3cr\"et");
    assert_null(getenv("DB_PASSWORD_FILE"));
    assert_true(secrets_is_secret("DB_PASSWORD"));
}

static void test_both_set_is_an_error(void **state)
{
    (void)state;
    char path[160], msg[256];
    snprintf(path, sizeof path, "%s/pw2", dir);
    write_file(path, "other", 0600);
    setenv("PG_PASSWORD", "direct-value", 1);
    setenv("PG_PASSWORD_FILE", path, 1);
    assert_int_equal(secrets_load(NULL, NULL, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "both PG_PASSWORD and PG_PASSWORD_FILE"));
    assert_null(strstr(msg, "direct-value"));
    unsetenv("PG_PASSWORD");
    unsetenv("PG_PASSWORD_FILE");
}

static void test_unreadable_file(void **state)
{
    (void)state;
    char msg[256];
    setenv("API_TOKEN_FILE", "/nonexistent/token", 1);
    assert_int_equal(secrets_load(NULL, NULL, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "API_TOKEN_FILE=/nonexistent/token"));
    assert_non_null(strstr(msg, "No such file"));
    unsetenv("API_TOKEN_FILE");
}

static void test_other_tools_file_variables_untouched(void **state)
{
    (void)state;
    char msg[256];
    setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt", 1);
    assert_int_equal(secrets_load(NULL, NULL, msg, sizeof msg), 0);
    assert_string_equal(getenv("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt");
    assert_null(getenv("SSL_CERT"));
    unsetenv("SSL_CERT_FILE");
}

static void test_file_in_secrets_dir_and_allow_list(void **state)
{
    (void)state;
    char path[160], msg[256];
    snprintf(path, sizeof path, "%s/dbuser", secrets_dir);
    write_file(path, "orthanc\n", 0600);
    setenv("POSTGRES_USER_FILE", path, 1);
    snprintf(path, sizeof path, "%s/dbname", dir);
    write_file(path, "archive", 0600);
    setenv("POSTGRES_DB_FILE", path, 1);
    /* CIRR_FILE_ENV=OTHER, POSTGRES_DB (settings.c passes its value) */
    assert_int_equal(secrets_load(secrets_dir, "OTHER, POSTGRES_DB", msg, sizeof msg), 0);
    assert_string_equal(getenv("POSTGRES_USER"), "orthanc");
    assert_string_equal(getenv("POSTGRES_DB"), "archive");
}

static void test_secrets_dir(void **state)
{
    (void)state;
    char path[160], msg[256];
    snprintf(path, sizeof path, "%s/ORTHANC_PASSWORD", secrets_dir);
    write_file(path, "from-docker-secret\n", 0600);
    snprintf(path, sizeof path, "%s/ALREADY_SET", secrets_dir);
    write_file(path, "from-file", 0600);
    snprintf(path, sizeof path, "%s/not-a-variable.json", secrets_dir);
    write_file(path, "{}", 0600);
    setenv("ALREADY_SET", "from-env", 1);
    unsetenv("ORTHANC_PASSWORD");
    assert_int_equal(secrets_load(secrets_dir, NULL, msg, sizeof msg), 0);
    assert_string_equal(getenv("ORTHANC_PASSWORD"), "from-docker-secret");
    assert_string_equal(getenv("ALREADY_SET"), "from-env");
    assert_true(secrets_is_secret("ORTHANC_PASSWORD"));
}

static void test_redaction(void **state)
{
    (void)state;
    char buf[128];
    setenv("SPLUNK_HEC_TOKEN", "abcd-1234", 1);
    setenv("PLAIN", "abcd-1234-plain", 1);
    snprintf(buf, sizeof buf, "auth failed for abcd-1234 (abcd-1234)");
    secrets_redact(buf, sizeof buf);
    assert_string_equal(buf, "auth failed for [redacted] ([redacted])");
    char small[20];
    snprintf(small, sizeof small, "xxxxxxxxxabcd-1234");
    secrets_redact(small, sizeof small);
    assert_null(strstr(small, "abcd-1234"));
}

/* Whole texts in every form (redact.c does the matching), and a text that
 * was cut loses the beginning of a secret at its end too. */
static void test_redact_text(void **state)
{
    (void)state;
    setenv("MULTI_PASSWORD", "one-Lk3\ntwo-Mq8", 1);
    char *r = secrets_redact_text("raw one-Lk3\ntwo-Mq8; spaced one-Lk3 two-Mq8; url one-Lk3%0Atwo-Mq8", 0);
    assert_string_equal(r, "raw [redacted]; spaced [redacted]; url [redacted]");
    free(r);
    r = secrets_redact_text("first line: one-L", 1);
    assert_string_equal(r, "first line: [redacted]");
    free(r);
    unsetenv("MULTI_PASSWORD");
}

/* One or two characters could only be masked by masking them everywhere:
 * refused; an empty value is no secret. */
static void test_short_secret_refused(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        int rc;
    } cases[] = {{"q7", -1}, {"q", -1}, {"q7x", 0}, {"", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char msg[256] = "";
        setenv("SHORT_TOKEN", cases[i].value, 1);
        assert_int_equal(secrets_load(NULL, NULL, msg, sizeof msg), cases[i].rc);
        if (cases[i].rc < 0)
            assert_string_equal(msg, "SHORT_TOKEN: a secret must have at least 3 characters (a "
                                "shorter one could only be kept out of the logs by masking those "
                                "characters everywhere)");
    }
    unsetenv("SHORT_TOKEN");
}

static void test_secret_names(void **state)
{
    (void)state;
    assert_true(secrets_is_secret("POSTGRES_PASSWORD"));
    assert_true(secrets_is_secret("splunk_hec_token"));
    assert_true(secrets_is_secret("TLS_KEY"));
    assert_false(secrets_is_secret("ORTHANC_NAME"));
    assert_false(secrets_is_secret("KEYBOARD"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_variable),
        cmocka_unit_test(test_both_set_is_an_error),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_other_tools_file_variables_untouched),
        cmocka_unit_test(test_file_in_secrets_dir_and_allow_list),
        cmocka_unit_test(test_secrets_dir),
        cmocka_unit_test(test_redaction),
        cmocka_unit_test(test_redact_text),
        cmocka_unit_test(test_short_secret_refused),
        cmocka_unit_test(test_secret_names),
    };
    return cmocka_run_group_tests_name("secrets", tests, setup, teardown);
}
