/* Unit tests of orthanc.json rendering (images/orthanc/orthanc_env.c):
 * each seed variable lands on the right key, and every setting of the
 * table is checked with one line naming it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "orthanc_env.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

/* orthanc.json for the environment vars, as cirr-orthanc-setup renders it:
 * the table's settings, then the tree. */
static char *render(char **vars, char *err, size_t cap)
{
    char **saved = environ;
    environ = vars;
    struct orthanc_settings s;
    struct jnode *root = NULL;
    if (orthanc_settings_load(&s, err, cap) == 0)
        root = orthanc_config(&s, vars, err, cap);
    environ = saved;
    if (!root)
        return NULL;
    struct strbuf sb = {0};
    jnode_write(root, &sb, 0);
    jnode_free(root);
    return strbuf_take(&sb);
}

static void contains(const char *json, const char *want)
{
    if (!strstr(json, want))
        fail_msg("missing %s in:\n%s", want, json);
}

static void test_seed_variables(void **state)
{
    (void)state;
    char *vars[] = {
        "ORTHANC_NAME=archive", "ORTHANC_AET=CIRR", "ORTHANC_PASSWORD=pw",
        "ORTHANC_USER_0=alice,secret,with,commas", "ORTHANC_USER_1=bob,b",
        "ORTHANC_MOD_0=pacs,PACS,10.0.0.5,104", "ORTHANC_MOD_1=WS1,ws.local,11112",
        "ORTHANC_PEER_0=bridge,http://bridge:8042,admin,x",
        "ORTHANC_PG_ENABLED=true", "ORTHANC_PG_HOST=db", "ORTHANC_PG_PORT=5433",
        "ORTHANC_PG_USER=orthanc", "ORTHANC_PG_PASSWORD=pgpw", "ORTHANC_PG_DATABASE=archive",
        "ORTHANC_PG_STORE_DICOM=true", "ORTHANC_STORE_COMPRESSED=true", "ORTHANC_MAX_PATIENTS=10",
        "ORTHANC_MAX_SIZE=2048", "ORTHANC_JOBS=4", "ORTHANC_SYNC_CMOVE=false",
        "ORTHANC_STABLE_AGE=30", "ORTHANC_DICOM_SCU_TIMEOUT=20", "ORTHANC_WBV_ENABLED=yes",
        "ORTHANC_METADATA_0=project,4096", NULL,
    };
    char err[256];
    char *json = render(vars, err, sizeof err);
    if (!json)
        fail_msg("%s", err);
    contains(json, "\"Name\": \"archive\"");
    contains(json, "\"DicomAet\": \"CIRR\"");
    contains(json, "\"admin\": \"pw\"");
    contains(json, "\"alice\": \"secret,with,commas\"");
    contains(json, "\"bob\": \"b\"");
    contains(json, "\"AuthenticationEnabled\": true");
    contains(json, "\"pacs\": [\"PACS\", \"10.0.0.5\", 104]");
    contains(json, "\"WS1\": [\"WS1\", \"ws.local\", 11112]");
    contains(json, "\"bridge\": [\"http://bridge:8042\", \"admin\", \"x\"]");
    contains(json, "\"EnableIndex\": true");
    contains(json, "\"EnableStorage\": true");
    contains(json, "\"Host\": \"db\"");
    contains(json, "\"Port\": 5433");
    contains(json, "\"Username\": \"orthanc\"");
    contains(json, "\"Password\": \"pgpw\"");
    contains(json, "\"Database\": \"archive\"");
    contains(json, "\"StorageCompression\": true");
    contains(json, "\"MaximumPatientCount\": 10");
    contains(json, "\"MaximumStorageSize\": 2048");
    contains(json, "\"ConcurrentJobs\": 4");
    contains(json, "\"SynchronousCMove\": false");
    contains(json, "\"StableAge\": 30");
    contains(json, "\"DicomScuTimeout\": 20");
    contains(json, "libOrthancWebViewer.so");
    contains(json, "libOrthancPostgreSQLIndex.so");
    contains(json, "\"project\": 4096");
    free(json);
}

static void test_json_paths_and_escaping(void **state)
{
    (void)state;
    char *vars[] = {"ORTHANC_PASSWORD=a\"b\\c $d e", "ORTHANC__DICOM_WEB__ENABLE=false",
                    "ORTHANC__POSTGRESQL__HOST=pg2", "ORTHANC__HTTP_TIMEOUT=60",
                    "ORTHANC__DICOM_MODALITIES={\"x\": [\"X\", \"h\", 1]}",
                    "ORTHANC__NAME=overridden", NULL};
    char err[256];
    char *json = render(vars, err, sizeof err);
    assert_non_null(json);
    contains(json, "\"admin\": \"a\\\"b\\\\c $d e\"");
    contains(json, "\"DicomWeb\": {\n    \"Enable\": false");
    contains(json, "\"PostgreSQL\": {\n    \"Host\": \"pg2\"");
    contains(json, "\"HttpTimeout\": 60");
    contains(json, "\"DicomModalities\": {\"x\": [\"X\", \"h\", 1]}");
    contains(json, "\"Name\": \"overridden\"");
    assert_null(strstr(json, "libOrthancPostgreSQLIndex"));
    free(json);
}

static void expect_error(char **vars, const char *want)
{
    char err[256] = "";
    char *json = render(vars, err, sizeof err);
    assert_null(json);
    assert_string_equal(err, want);
}

/* With ORTHANC_PASSWORD set, var alone makes the configuration fail with want. */
static const struct {
    char *var;
    const char *want;
} bad_values[] = {
    {"ORTHANC_MOD_0=PACS,host", "ORTHANC_MOD_0: expected 'name,AET,host,port' or 'AET,host,port'"},
    {"ORTHANC_MOD_3=PACS,host,99999", "ORTHANC_MOD_3: invalid port '99999'"},
    {"ORTHANC_JOBS=many", "ORTHANC_JOBS: expected a number from 0 to 1024, got 'many'"},
    {"ORTHANC_PG_ENABLED=maybe", "ORTHANC_PG_ENABLED: expected true or false, got 'maybe'"},
    {"ORTHANC_PG_ENABLED=1", "ORTHANC_PG_PASSWORD is not set (needed with ORTHANC_PG_ENABLED)"},
    /* every setting of the table is checked at start, used or not: before,
     * ORTHANC_PG_PORT was read only with PostgreSQL on, and ORTHANC_PG_WAIT=0
     * or garbage quietly meant 120 s */
    {"ORTHANC_PG_PORT=x", "ORTHANC_PG_PORT: expected a number from 1 to 65535, got 'x'"},
    {"ORTHANC_PG_WAIT=0", "ORTHANC_PG_WAIT: expected a number from 1 to 86400, got '0'"},
    {"ORTHANC_VERBOSE=loud", "ORTHANC_VERBOSE: expected true, false or trace, got 'loud'"},
    {"ORTHANC_AET=AET456789ABCDEF67", "ORTHANC_AET: at most 16 characters"},
    {"ORTHANC_MAX_SIZE=1099511627777",
     "ORTHANC_MAX_SIZE: expected a number from 0 to 1099511627776, got '1099511627777'"},
};

static void test_errors_name_the_variable(void **state)
{
    (void)state;
    expect_error((char *[]){"ORTHANC_NAME=x", NULL},
                 "ORTHANC_PASSWORD is not set (or ORTHANC_PASSWORD_FILE, or "
                 "/run/secrets/ORTHANC_PASSWORD): refusing to start without authentication");
    expect_error((char *[]){"ORTHANC_AUTH_DISABLED=yes", NULL},
                 "ORTHANC_AUTH_DISABLED: only for tests; set it to 'tests-only-i-understand' to confirm");
    for (size_t i = 0; i < sizeof bad_values / sizeof *bad_values; i++)
        expect_error((char *[]){"ORTHANC_PASSWORD=p", bad_values[i].var, NULL}, bad_values[i].want);
}

/* The limits themselves are accepted, and switches in any case. */
static void test_limits_and_switches(void **state)
{
    (void)state;
    char err[256];
    char *json = render((char *[]){"ORTHANC_PASSWORD=p", "ORTHANC_VERBOSE=trace", "ORTHANC_SYNC_CMOVE=OFF",
                                   "ORTHANC_MAX_SIZE=1099511627776", NULL},
                        err, sizeof err);
    if (!json)
        fail_msg("%s", err);
    contains(json, "\"SynchronousCMove\": false");
    contains(json, "\"MaximumStorageSize\": 1099511627776");
    free(json);
}

static void test_defaults(void **state)
{
    (void)state;
    char err[256];
    char *json = render((char *[]){"ORTHANC_PASSWORD=p", NULL}, err, sizeof err);
    if (!json)
        fail_msg("%s", err);
    contains(json, "\"Name\": \"cirr\"");
    contains(json, "\"DicomAet\": \"ORTHANC\"");
    contains(json, "\"StorageCompression\": false");
    contains(json, "\"MaximumPatientCount\": 0");
    contains(json, "\"ConcurrentJobs\": 2");
    contains(json, "\"SynchronousCMove\": true");
    contains(json, "\"StableAge\": 60");
    contains(json, "\"DicomScuTimeout\": 10");
    assert_null(strstr(json, "PostgreSQL"));
    assert_null(strstr(json, "WebViewer"));
    free(json);
}

static void test_auth_opt_out_for_tests(void **state)
{
    (void)state;
    char err[256];
    char *json = render((char *[]){"ORTHANC_AUTH_DISABLED=" ORTHANC_NO_AUTH_CONSENT, NULL}, err, sizeof err);
    assert_non_null(json);
    contains(json, "\"AuthenticationEnabled\": false");
    free(json);
}

static void test_camel_case(void **state)
{
    (void)state;
    char out[64];
    orthanc_camel("DICOM_WEB", out, sizeof out);
    assert_string_equal(out, "DicomWeb");
    orthanc_camel("POSTGRESQL", out, sizeof out);
    assert_string_equal(out, "PostgreSQL");
    orthanc_camel("STABLE_AGE", out, sizeof out);
    assert_string_equal(out, "StableAge");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_variables),
        cmocka_unit_test(test_json_paths_and_escaping),
        cmocka_unit_test(test_errors_name_the_variable),
        cmocka_unit_test(test_limits_and_switches),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_auth_opt_out_for_tests),
        cmocka_unit_test(test_camel_case),
    };
    return cmocka_run_group_tests_name("orthanc_env", tests, NULL, NULL);
}
