/* Unit tests of what waits for what (init/deps.c), on a configuration from
 * the service-file parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deps.h"
#include "servicefile.h"

#include <stdlib.h>
#include <string.h>

static const char *lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static const struct template_env env = {lookup, NULL, NULL};

static const char text[] =
    "[probe db]\nkind = tcp\naddress = db:5432\ninterval = 5s\n"
    "[probe web]\nkind = tcp\naddress = localhost:8042\n"
    "[task migrate]\ncommand = /bin/true\nwait = db\n"
    "[task seed]\ncommand = /bin/true\nwait = db\n"
    "[service viewer]\ncommand = /bin/sleep 1\nafter = archive\n"
    "[service archive]\ncommand = /bin/sleep 1\nwait = db\nready = web\n";

struct world {
    struct config cfg;
    struct svc_rt svc[4];   /* migrate, seed, archive, viewer (start order) */
    struct svc_list all;
    struct probe_set probes;
};

static struct world the_world;

/* Before each test: the configuration above, every service waiting and no
 * probe run yet. */
static int setup_world(void **state)
{
    struct world *w = &the_world;
    char err[256];
    memset(w, 0, sizeof *w);
    if (servicefile_parse("svc.conf", text, &env, &w->cfg, err, sizeof err) < 0 ||
        config_finish(&w->cfg, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(w->cfg.service_count, 4);
    for (unsigned i = 0; i < 4; i++)
        svc_init(&w->svc[i], &w->cfg.services[i]);
    w->all = (struct svc_list){w->svc, 4};
    assert_int_equal(probe_set_init(&w->probes, &w->cfg), 0);
    *state = w;
    return 0;
}

static int free_world(void **state)
{
    struct world *w = *state;
    probe_set_free(&w->probes);
    config_free(&w->cfg);
    return 0;
}

static void test_missing_names_probes_then_services(void **state)
{
    struct world *w = *state;
    char buf[128];
    struct svc_rt *archive = &w->svc[2], *viewer = &w->svc[3];
    assert_string_equal(archive->cfg->name, "archive");
    deps_missing(&w->all, &w->probes, archive, buf, sizeof buf);
    assert_string_equal(buf, "probe db");
    deps_missing(&w->all, &w->probes, viewer, buf, sizeof buf);
    assert_string_equal(buf, "service archive");
    probe_set_find(&w->probes, "db")->result = 0;
    deps_missing(&w->all, &w->probes, archive, buf, sizeof buf);
    assert_string_equal(buf, "");
    archive->state = SVC_READY;
    deps_missing(&w->all, &w->probes, viewer, buf, sizeof buf);
    assert_string_equal(buf, "");
}

static void test_stop_order_waits_for_dependents(void **state)
{
    struct world *w = *state;
    struct svc_rt *archive = &w->svc[2], *viewer = &w->svc[3];
    archive->pid = 10;
    viewer->pid = 11;
    assert_true(deps_has_live_dependents(&w->all, archive));
    assert_false(deps_has_live_dependents(&w->all, viewer));
    viewer->pid = 0;
    assert_false(deps_has_live_dependents(&w->all, archive));
}

static void test_a_probe_runs_only_while_needed(void **state)
{
    struct world *w = *state;
    const struct probe_rt *db = probe_set_find(&w->probes, "db");
    const struct probe_rt *web = probe_set_find(&w->probes, "web");
    /* Tasks run one at a time: the first task's wait counts. */
    assert_true(deps_probe_needed(&w->all, db, 1));
    assert_false(deps_probe_needed(&w->all, web, 1));
    w->svc[0].state = SVC_STARTING;
    assert_false(deps_probe_needed(&w->all, db, 1)); /* seed is not next yet */
    w->svc[0].state = SVC_EXITED;
    assert_true(deps_probe_needed(&w->all, db, 1));  /* now it is */
    w->svc[1].state = SVC_EXITED;
    assert_false(deps_probe_needed(&w->all, db, 1));
    assert_true(deps_probe_needed(&w->all, db, 0)); /* archive waits for it */
    w->svc[2].state = SVC_STARTING;
    assert_false(deps_probe_needed(&w->all, db, 0));
    assert_true(deps_probe_needed(&w->all, web, 0)); /* archive's ready probe */
    w->svc[2].state = SVC_READY;
    assert_true(deps_probe_needed(&w->all, web, 0)); /* and its health probe */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define WITH_WORLD(test) cmocka_unit_test_setup_teardown(test, setup_world, free_world)
        WITH_WORLD(test_missing_names_probes_then_services),
        WITH_WORLD(test_stop_order_waits_for_dependents),
        WITH_WORLD(test_a_probe_runs_only_while_needed),
    };
    return cmocka_run_group_tests_name("deps", tests, NULL, NULL);
}
