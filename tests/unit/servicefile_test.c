/* Unit tests of the service-file parser (init/servicefile.c, config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "servicefile.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char *lookup(const char *name, void *ctx)
{
    (void)ctx;
    if (strcmp(name, "PG_HOST") == 0) return "db";
    return getenv(name);
}

static const struct template_env env = {lookup, NULL, NULL};

static int parse(const char *text, struct config *cfg, char *err, size_t cap)
{
    memset(cfg, 0, sizeof *cfg);
    if (servicefile_parse("svc.conf", text, &env, cfg, err, cap) < 0)
        return -1;
    return config_finish(cfg, err, cap);
}

static void expect_error(const char *text, const char *want)
{
    struct config cfg;
    char err[512] = "";
    assert_int_equal(parse(text, &cfg, err, sizeof err), -1);
    if (strcmp(err, want) != 0)
        fail_msg("got error '%s', want '%s'", err, want);
    config_free(&cfg);
}

static const char full[] =
    "# the archive\n"
    "[probe pg]\n"
    "kind = postgres\n"
    "conninfo = host=${PG_HOST} port=5432 user=postgres\n"
    "query = yes\n"
    "password-env = POSTGRES_PASSWORD\n"
    "timeout = 3s\n"
    "interval = 500ms\n"
    "\n"
    "[probe web]\n"
    "kind = http\n"
    "url = http://localhost:8042/system\n"
    "status = 200\n"
    "user = admin\n"
    "password-env = ORTHANC_PASSWORD\n"
    "\n"
    "[service viewer]\n"
    "command = /bin/sleep 100\n"
    "after = orthanc\n"
    "\n"
    "[task setup]\n"
    "command = /bin/true\n"
    "\n"
    "[service orthanc]\n"
    "  command = /usr/sbin/Orthanc \"/etc/orthanc dir/\" --verbose\n"
    "  wait = pg\n"
    "  ready = web\n"
    "  restart = on-failure\n"
    "  stop-signal = INT\n"
    "  stop-timeout = 5s\n"
    "  user = 0:0\n"
    "  umask = 027\n"
    "  env = PATH, TZ\n"
    "  template = /etc/cirr/orthanc.json.in /etc/orthanc/orthanc.json\n"
    "  traefik-rule = PathPrefix(`/archive`)\n"
    "  traefik-port = 8042\n"
    "  traefik-dir = /traefik\n"
    "  main = yes\n";

static void test_full_file(void **state)
{
    (void)state;
    struct config cfg;
    char err[512] = "";
    if (parse(full, &cfg, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(cfg.service_count, 3);
    assert_int_equal(cfg.probe_count, 2);
    /* tasks first, then services in dependency order */
    assert_string_equal(cfg.services[0].name, "setup");
    assert_true(cfg.services[0].is_task);
    assert_string_equal(cfg.services[1].name, "orthanc");
    assert_string_equal(cfg.services[2].name, "viewer");
    struct service *o = config_service(&cfg, "orthanc");
    assert_string_equal(o->argv[0], "/usr/sbin/Orthanc");
    assert_string_equal(o->argv[1], "/etc/orthanc dir/");
    assert_string_equal(o->argv[2], "--verbose");
    assert_null(o->argv[3]);
    assert_int_equal(o->restart, RESTART_ON_FAILURE);
    assert_int_equal(o->stop_signal, SIGINT);
    assert_int_equal(o->stop_timeout_ms, 5000);
    assert_int_equal(o->umask, 027);
    assert_true(o->id.has_user);
    assert_string_equal(o->env_allow[0], "PATH");
    assert_string_equal(o->env_allow[1], "TZ");
    assert_string_equal(o->templates[0].dst, "/etc/orthanc/orthanc.json");
    assert_string_equal(o->health[0], "web"); /* health defaults to ready */
    assert_true(o->is_main);
    assert_false(config_service(&cfg, "viewer")->is_main);
    struct probe *pg = config_probe(&cfg, "pg");
    assert_int_equal(pg->kind, PROBE_POSTGRES);
    assert_string_equal(pg->target, "host=db port=5432 user=postgres");
    assert_int_equal(pg->timeout_ms, 3000);
    assert_int_equal(pg->interval_ms, 500);
    assert_true(pg->pg_query);
    config_free(&cfg);
}

static void test_first_service_is_main_by_default(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse("[service a]\ncommand=x\n[service b]\ncommand=y\n", &cfg, err, sizeof err), 0);
    assert_true(config_service(&cfg, "a")->is_main);
    assert_false(config_service(&cfg, "b")->is_main);
    config_free(&cfg);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("[service a]\ncommand = x\ncolour = blue\n",
                 "svc.conf:3: unknown key 'colour' for a service");
    expect_error("[service a]\ncommand = x\nthis is not a pair\n",
                 "svc.conf:3: expected 'key = value' or a [section] header");
    expect_error("command = x\n", "svc.conf:1: 'command' outside a section");
    expect_error("[probe p]\nkind = smtp\n",
                 "svc.conf:2: unknown probe kind 'smtp' (expected http, https, postgres, tcp or exec)");
    expect_error("[probe p]\nurl = http://x/\n[service a]\ncommand=x\n", "svc.conf:1: probe p has no 'kind'");
    expect_error("[daemon a]\n", "svc.conf:1: unknown section 'daemon' (expected service, task or probe)");
    expect_error("[service a\n", "svc.conf:1: malformed section header (expected [service NAME], [task NAME] or [probe NAME])");
    expect_error("[service a]\ncommand = x\nrestart = sometimes\n",
                 "svc.conf:3: restart: expected always, on-failure or never, got 'sometimes'");
    expect_error("[service a]\ncommand = x\nstop-timeout = soon\n",
                 "svc.conf:3: stop-timeout: invalid duration 'soon' (examples: 5s, 250ms, 2m)");
    expect_error("[service a]\ncommand = x\nuser = no-such-user-here\n",
                 "svc.conf:3: unknown user 'no-such-user-here' (not in /etc/passwd)");
    expect_error("[service a]\ncommand = x\nwait = nope\n", "svc.conf:1: a: wait names unknown probe 'nope'");
    expect_error("[service a]\ncommand = x\nafter = b\n[service b]\ncommand = y\nafter = a\n",
                 "svc.conf:1: a: 'after' forms a cycle");
    expect_error("[service a]\nrestart = always\n", "svc.conf:1: service a has no 'command'");
    expect_error("[task t]\ncommand = x\nrestart = always\n", "svc.conf:3: unknown key 'restart' for a task");
    expect_error("[service a]\ncommand = x\n[service a]\ncommand = y\n", "svc.conf:3: 'a' is declared twice");
    expect_error("[service a]\ncommand = \"unterminated\n", "svc.conf:2: command: unterminated quote");
    expect_error("[service a]\ncommand = ${MISSING_VAR_X:?set it}\n",
                 "svc.conf:2: command: MISSING_VAR_X: set it");
    expect_error("[probe p]\nkind = http\nurl = ftp://x/\n[service a]\ncommand = x\n",
                 "svc.conf:1: probe p: url must start with http://");
    expect_error("[service a]\ncommand = x\ntraefik-rule = Path(`/a`)\n",
                 "svc.conf:1: a: traefik-rule needs traefik-port and traefik-dir (or CIRR_TRAEFIK_DIR)");
    expect_error("[task t]\ncommand = x\n", "svc.conf: no service to run (declare a [service] or give a command after --)");
}

/* An empty list names nothing (no wait, no after, health from ready), but
 * an empty env allow-list lets the process see nothing at all. */
static void test_empty_lists(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    assert_int_equal(parse("[probe p]\nkind = tcp\naddress = h:1\n"
                           "[service a]\ncommand = x\nwait = ,\nafter =\nready = p\nhealth = \n"
                           "[service b]\ncommand = y\nenv =\n", &cfg, err, sizeof err), 0);
    struct service *a = config_service(&cfg, "a"), *b = config_service(&cfg, "b");
    assert_null(a->wait);
    assert_null(a->after);
    assert_string_equal(a->health[0], "p");
    assert_null(a->env_allow);
    assert_non_null(b->env_allow);
    assert_null(b->env_allow[0]);
    config_free(&cfg);
}

/* Split first, expanded within each word: a variable's value is one word
 * (or one item) however many spaces, quotes or commas it holds. */
static void test_a_variable_is_one_word(void **state)
{
    (void)state;
    struct config cfg;
    char err[256];
    setenv("ARGS", "a b \"c d\" --flag", 1);
    setenv("TWO_PROBES", "p,q", 1);
    unsetenv("UNSET_X");
    assert_int_equal(parse("[probe p]\nkind = exec\ncommand = check ${ARGS}\n"
                           "[service a]\ncommand = prog ${ARGS} \"${ARGS}\" x${ARGS}y ${UNSET_X} "
                           "\"${UNSET_X}\" ${UNSET_X:-d e} \"q\\\"uote\"\n"
                           "template = ${ARGS} /etc/out\nwait = p\n", &cfg, err, sizeof err), 0);
    char **argv = config_service(&cfg, "a")->argv;
    const char *want[] = {"prog", "a b \"c d\" --flag", "a b \"c d\" --flag", "xa b \"c d\" --flagy",
                          "", "d e", "q\"uote"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[sizeof want / sizeof *want]);
    assert_string_equal(config_service(&cfg, "a")->templates[0].src, "a b \"c d\" --flag");
    assert_string_equal(config_probe(&cfg, "p")->argv[1], "a b \"c d\" --flag");
    assert_null(config_probe(&cfg, "p")->argv[2]);
    config_free(&cfg);
    expect_error("[probe p]\nkind = exec\ncommand = x\n[service a]\ncommand = x\nwait = ${TWO_PROBES}\n",
                 "svc.conf:4: a: wait names unknown probe 'p,q'");
    unsetenv("ARGS");
    unsetenv("TWO_PROBES");
}

/* Ids are checked, never wrapped; a numeric user takes its passwd group. */
static void test_users_and_groups(void **state)
{
    (void)state;
    struct config cfg;
    char err[512];
    assert_int_equal(parse("[service a]\ncommand = x\nuser = 65534\n"
                           "[service b]\ncommand = x\nuser = 54321\ngroup = 54322\n"
                           "[service c]\ncommand = x\ngroup = 54323\nuser = 0\n", &cfg, err, sizeof err), 0);
    const struct identity *a = &config_service(&cfg, "a")->id, *b = &config_service(&cfg, "b")->id;
    assert_int_equal(a->uid, 65534);
    assert_int_equal(a->gid, 65534); /* nobody's group in /etc/passwd */
    assert_true(a->ngroups >= 1);
    assert_int_equal(b->uid, 54321);
    assert_int_equal(b->gid, 54322);
    assert_int_equal(b->ngroups, 1);
    assert_int_equal(b->groups[0], 54322);
    assert_int_equal(config_service(&cfg, "c")->id.gid, 54323); /* the group given wins */
    config_free(&cfg);
    expect_error("[service a]\ncommand = x\nuser = 54321\n",
                 "svc.conf:3: user: UID 54321 has no entry in /etc/passwd to take a group from: "
                 "add 'group = GID'");
    expect_error("[service a]\ncommand = x\nuser = 4294967296\n",
                 "svc.conf:3: user: 4294967296 is not a valid UID (0 to 4294967294)");
    expect_error("[service a]\ncommand = x\nuser = -1\n",
                 "svc.conf:3: user: -1 is not a valid UID (0 to 4294967294)");
    expect_error("[service a]\ncommand = x\nuser = 0:4294967295\n",
                 "svc.conf:3: user: 4294967295 is not a valid GID (0 to 4294967294)");
    expect_error("[service a]\ncommand = x\ngroup = +7\n",
                 "svc.conf:3: group: +7 is not a valid GID (0 to 4294967294)");
    expect_error("[probe p]\nkind = exec\ncommand = x\nprobe-user = 54321\n[service a]\ncommand = x\n",
                 "svc.conf:4: probe-user: UID 54321 has no entry in /etc/passwd to take a group from: "
                 "add 'probe-user = UID:GID'");
}

/* An exec probe runs as the services it serves, seeing what their user may
 * see; probe-user says otherwise; the other kinds run as cirr-init. */
static void test_probe_users(void **state)
{
    (void)state;
    struct config cfg;
    char err[512];
    assert_int_equal(parse("[probe mine]\nkind = exec\ncommand = x\n"
                           "[probe rooted]\nkind = exec\ncommand = x\nprobe-user = root\n"
                           "[probe web]\nkind = http\nurl = http://h/\n"
                           "[service a]\ncommand = x\nuser = nobody\nenv = PATH, TZ\n"
                           "ready = mine\nhealth = mine, rooted, web\n"
                           "[service b]\ncommand = x\nuser = nobody\nenv = TZ, LANG\n",
                           &cfg, err, sizeof err), 0);
    const struct probe *mine = config_probe(&cfg, "mine"), *rooted = config_probe(&cfg, "rooted");
    assert_true(mine->id.has_user);
    assert_int_equal(mine->id.uid, 65534);
    assert_string_equal(mine->env_allow[0], "TZ"); /* what both of nobody's services see */
    assert_null(mine->env_allow[1]);
    assert_true(rooted->id.has_user);
    assert_int_equal(rooted->id.uid, 0);
    assert_null(rooted->env_allow);
    assert_false(config_probe(&cfg, "web")->id.has_user);
    config_free(&cfg);
    expect_error("[probe who]\nkind = exec\ncommand = x\n[service a]\ncommand = x\nuser = nobody\n"
                 "ready = who\n[task t]\ncommand = x\nwait = who\n",
                 "svc.conf:1: probe who serves services that run as different users (a, t): "
                 "say whose it is with 'probe-user'");
}

static void test_durations(void **state)
{
    (void)state;
    unsigned ms;
    assert_int_equal(parse_duration_ms("5", &ms), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(parse_duration_ms("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(parse_duration_ms("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(parse_duration_ms("2m", &ms), 0);
    assert_int_equal(ms, 120000);
    assert_int_equal(parse_duration_ms("-1s", &ms), -1);
    assert_int_equal(parse_duration_ms("5 s", &ms), -1);
    assert_int_equal(parse_duration_ms("2000h", &ms), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_first_service_is_main_by_default),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_empty_lists),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_a_variable_is_one_word),
        cmocka_unit_test(test_users_and_groups),
        cmocka_unit_test(test_probe_users),
    };
    return cmocka_run_group_tests_name("servicefile", tests, NULL, NULL);
}
