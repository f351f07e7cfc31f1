/* Unit tests of probe scheduling (init/probe_sched.c): results, reasons and
 * when a probe runs next. Probe processes are stood in for by pids that
 * probe_set_reaped is handed, as the event loop would after waitpid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "probe_sched.h"

#include <string.h>

#define EXITED(code) ((code) << 8) /* a wait status */
#define FAKE_PID 4242

static struct probe db = {.name = "db", .kind = PROBE_TCP, .target = "db:5432",
                          .timeout_ms = 3000, .interval_ms = 5000};

static void open_set(struct probe_set *set)
{
    struct config cfg = {.probes = &db, .probe_count = 1};
    assert_int_equal(probe_set_init(set, &cfg), 0);
    assert_ptr_equal(probe_set_find(set, "db")->cfg, &db);
    assert_null(probe_set_find(set, "web"));
    assert_null(probe_set_find(set, NULL));
}

/* The probe's process "exits" with wait_status at now. */
static enum probe_reap finish(struct probe_set *set, int wait_status, uint64_t now)
{
    set->items[0].pid = FAKE_PID;
    return probe_set_reaped(set, FAKE_PID, wait_status, now);
}

static void test_failing_probe_retries_quickly_until_it_passes(void **state)
{
    (void)state;
    struct probe_set set;
    open_set(&set);
    struct probe_rt *p = &set.items[0];
    static const unsigned waits[] = {100, 200, 400, 800, 1000, 1000};
    uint64_t now = 1000;
    for (size_t i = 0; i < sizeof waits / sizeof *waits; i++) {
        assert_int_equal(finish(&set, EXITED(1), now), i == 0 ? PROBE_CHANGED : PROBE_SAME);
        assert_int_equal(p->next_run, now + waits[i]);
        assert_int_equal(p->result, 1);
        assert_string_equal(p->reason, "exited with status 1");
    }
    assert_int_equal(finish(&set, 0, now), PROBE_CHANGED);
    assert_int_equal(p->result, 0);
    finish(&set, EXITED(1), now);
    assert_int_equal(p->next_run, now + 5000); /* it passed once: its interval */
    assert_int_equal(probe_set_reaped(&set, 999, 0, now), PROBE_NOT_MINE);
    assert_int_equal(probe_set_deadline(&set, now), now + 5000);
    probe_rearm(p, now + 10);
    assert_int_equal(p->result, -1);
    assert_int_equal(finish(&set, EXITED(1), now + 10), PROBE_CHANGED);
    assert_int_equal(p->next_run, now + 10 + 100); /* quick retries again */
    probe_set_free(&set);
}

static void test_timeout_and_stop(void **state)
{
    (void)state;
    struct probe_set set;
    open_set(&set);
    struct probe_rt *p = &set.items[0];
    p->timed_out = 1;
    finish(&set, EXITED(137), 0);
    assert_string_equal(p->reason, "timed out after 3.0s");
    p->timed_out = 0;
    probe_set_stop(&set);
    assert_int_equal(finish(&set, 0, 0), PROBE_SAME); /* nothing is recorded */
    assert_int_equal(p->result, 1);
    assert_int_equal(probe_set_deadline(&set, 0), UINT64_MAX);
    probe_set_free(&set);
}

int main(void)
{
    log_verbosity = LOG_FATAL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failing_probe_retries_quickly_until_it_passes),
        cmocka_unit_test(test_timeout_and_stop),
    };
    return cmocka_run_group_tests_name("probe_sched", tests, NULL, NULL);
}
