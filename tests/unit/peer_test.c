/* Unit tests of the DICOM peer parser (lib/peer.c): NAME=AET,host,port
 * values, their limits, the one error line that names the variable, and the
 * walk over PREFIX<NAME> variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "peer.h"

#include <stdio.h>
#include <string.h>

extern char **environ;

static void test_good_value(void **state)
{
    (void)state;
    struct peer p;
    char err[256] = "";
    assert_int_equal(peer_parse("MOD_PACS", "PACS", "CLINPACS,pacs.example.org,104", &p, err, sizeof err), 0);
    assert_string_equal(p.name, "PACS");
    assert_string_equal(p.aet, "CLINPACS");
    assert_string_equal(p.host, "pacs.example.org");
    assert_int_equal(p.port, 104);
    assert_string_equal(err, "");
}

static void test_limits_accepted(void **state)
{
    (void)state;
    struct peer p;
    char err[256], host[128], value[200];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(value, sizeof value, "AET456789ABCDEF6,%s,65535", host);
    assert_int_equal(peer_parse("MUX_DEST_A", "name_with-31-characters-abcdefg", value, &p, err, sizeof err), 0);
    assert_string_equal(p.aet, "AET456789ABCDEF6");
    assert_string_equal(p.host, host);
    assert_int_equal(p.port, 65535);
    assert_string_equal(p.name, "name_with-31-characters-abcdefg");
    assert_int_equal(peer_parse("MOD_X", "x", "A,10.0.0.1,1", &p, err, sizeof err), 0);
    assert_int_equal(p.port, 1);
}

/* value is refused with an error line that starts "VAR: " and holds want;
 * the output is left alone. */
static void expect_refused(const char *name, const char *value, const char *want)
{
    struct peer p, before;
    memset(&p, 0x5a, sizeof p);
    before = p;
    char err[256] = "";
    if (peer_parse("MOD_TEST", name, value, &p, err, sizeof err) != -1)
        fail_msg("'%s' (name '%s') was accepted", value, name);
    if (strncmp(err, "MOD_TEST: ", 10) != 0 || !strstr(err, want))
        fail_msg("'%s': error '%s' should name MOD_TEST and say '%s'", value, err, want);
    assert_memory_equal(&p, &before, sizeof p);
}

#define BAD_VALUE "expected 'AET,host,port'"

static void test_missing_parts(void **state)
{
    (void)state;
    const char *bad[] = {"", "PACS", "PACS,host", "PACS,host,", ",host,104", "PACS,,104", ",,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused("PACS", bad[i], BAD_VALUE);
}

static void test_bad_ports(void **state)
{
    (void)state;
    const char *bad[] = {"A,h,0", "A,h,65536", "A,h,4294967297", "A,h,-1", "A,h,-4294967295",
                         "A,h,port", "A,h,104x", "A,h,104,5", "A,h,1 04"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused("PACS", bad[i], BAD_VALUE);
}

static void test_aet_and_host_lengths(void **state)
{
    (void)state;
    expect_refused("PACS", "AET456789ABCDEF67,host,104", BAD_VALUE);
    char value[300], host[129];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(value, sizeof value, "AET,%s,104", host);
    expect_refused("PACS", value, BAD_VALUE);
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *bad[] = {"", "with space", "with.dot", "name_with-32-characters-abcdefgh", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused(bad[i], "A,h,104", "peer names are 1 to 31 letters, digits, '_' and '-'");
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    struct peer p;
    char err[9];
    assert_int_equal(peer_parse("MOD_PACS", "PACS", "bad", &p, err, sizeof err), -1);
    assert_string_equal(err, "MOD_PACS");
}

/* peer_each_env: the calls it made, in order. */
struct seen {
    char calls[8][160];
    int n;
    int stop_at; /* answer -1 to this call (0-based), or -1 for never */
};

static int record(const char *var, const char *name, const char *value, void *ud)
{
    struct seen *s = ud;
    snprintf(s->calls[s->n], sizeof s->calls[s->n], "%s|%s|%s", var, name, value);
    return s->n++ == s->stop_at ? -1 : 0;
}

static int skip_options(const char *name)
{
    return strstr(name, "_MODALITY") || strstr(name, "_WORKERS");
}

static char *test_env[] = {
    "HOME=/root",
    "MUX_DEST_B=WSB,b.local,11112",
    "XMUX_DEST_C=not,ours,1",
    "MUX_DEST_B_MODALITY=MR",
    "MUX_DEST_A=WSA,a.local,104",
    "MUX_DEST_",
    "MUX_AET=CIRRMUX",
    "MUX_DEST_EMPTY=",
    NULL,
};

static int use_test_env(void **state)
{
    *state = environ;
    environ = test_env;
    return 0;
}

static int restore_env(void **state)
{
    environ = *state;
    return 0;
}

static void test_each_env_in_order_with_skip(void **state)
{
    (void)state;
    struct seen s = {.stop_at = -1};
    assert_int_equal(peer_each_env("MUX_DEST_", skip_options, record, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.calls[0], "MUX_DEST_B|B|WSB,b.local,11112");
    assert_string_equal(s.calls[1], "MUX_DEST_A|A|WSA,a.local,104");
    assert_string_equal(s.calls[2], "MUX_DEST_EMPTY|EMPTY|");
    /* without skip, the options are walked too */
    struct seen all = {.stop_at = -1};
    assert_int_equal(peer_each_env("MUX_DEST_", NULL, record, &all), 0);
    assert_int_equal(all.n, 4);
    assert_string_equal(all.calls[1], "MUX_DEST_B_MODALITY|B_MODALITY|MR");
}

static void test_each_env_stops_at_the_first_refusal(void **state)
{
    (void)state;
    struct seen s = {.stop_at = 0};
    assert_int_equal(peer_each_env("MUX_DEST_", skip_options, record, &s), -1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.calls[0], "MUX_DEST_B|B|WSB,b.local,11112");
}

static int measure(const char *var, const char *name, const char *value, void *ud)
{
    size_t *lengths = ud;
    lengths[0] = strlen(var);
    lengths[1] = strlen(name);
    lengths[2] = strlen(value);
    return 0;
}

static void test_each_env_passes_long_names_on(void **state)
{
    (void)state;
    /* a name too long for a peer is the callback's to refuse, not dropped */
    static char long_var[300];
    memset(long_var, 'N', sizeof long_var);
    memcpy(long_var, "MOD_", 4);
    snprintf(long_var + 250, sizeof long_var - 250, "=A,h,104");
    char *env[] = {long_var, NULL};
    environ = env;
    size_t lengths[3] = {0};
    assert_int_equal(peer_each_env("MOD_", NULL, measure, lengths), 0);
    environ = test_env;
    assert_int_equal(lengths[0], 250);
    assert_int_equal(lengths[1], 246);
    assert_int_equal(lengths[2], 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_value),
        cmocka_unit_test(test_limits_accepted),
        cmocka_unit_test(test_missing_parts),
        cmocka_unit_test(test_bad_ports),
        cmocka_unit_test(test_aet_and_host_lengths),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test_setup_teardown(test_each_env_in_order_with_skip, use_test_env, restore_env),
        cmocka_unit_test_setup_teardown(test_each_env_stops_at_the_first_refusal, use_test_env,
                                        restore_env),
        cmocka_unit_test_setup_teardown(test_each_env_passes_long_names_on, use_test_env, restore_env),
    };
    return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
