/* Unit tests of one service's state machine (init/service_sm.c): what each
 * transition does to the service and asks of the event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "service_sm.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *sleep_argv[] = {"sleep", "30", NULL};

static struct service service(int restart)
{
    return (struct service){
        .name = "svc", .argv = sleep_argv, .restart = restart, .stop_signal = SIGTERM,
        .stop_timeout_ms = 7000, .wait_timeout_ms = 2000, .backoff_ms = 1000,
        .backoff_max_ms = 30000, .stable_ms = 10000, .max_fast_failures = 3,
    };
}

/* The service under test, at rest with the given restart policy; tests
 * adjust its configuration through s->cfg. */
static struct service cfg;
static struct svc_rt svc;

static struct svc_rt *fresh(int restart)
{
    cfg = service(restart);
    svc_init(&svc, &cfg);
    return &svc;
}

static struct svc_args at(uint64_t now)
{
    return (struct svc_args){.now = now, .tty_fd = -1, .hostname = "host"};
}

/* A service that ran since t=1000 and exits at now with status. */
static struct svc_effect exit_at(struct svc_rt *s, uint64_t now, int status)
{
    struct svc_args a = at(now);
    a.status = status;
    s->state = SVC_READY;
    s->pid = 4242;
    s->started_at = 1000;
    return svc_handle(s, SVC_EV_EXITED, &a);
}

static void test_fast_failures_back_off_then_give_up(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ALWAYS);
    struct svc_effect fx = exit_at(s, 1500, 2);
    assert_int_equal(s->state, SVC_BACKOFF);
    assert_int_equal(s->timer, 1500 + 1000);
    assert_int_equal(svc_deadline(s), 2500);
    assert_true(fx.changed);
    assert_false(fx.shutdown);
    fx = exit_at(s, 1500, 2);
    assert_int_equal(s->timer, 1500 + 2000); /* doubled */
    fx = exit_at(s, 1500, 0);
    assert_int_equal(s->state, SVC_EXITED);
    assert_true(fx.shutdown);
    assert_int_equal(fx.exit_code, 1); /* status 0 gives up with 1 */
    assert_int_equal(s->restarts, 2);
}

static void test_a_stable_run_resets_the_backoff(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ON_FAILURE);
    exit_at(s, 1500, 1);
    exit_at(s, 1500, 1);
    exit_at(s, 1000 + 10000, 1);
    assert_int_equal(s->fast_failures, 0);
    assert_int_equal(s->timer, 11000 + 1000);
}

static void test_main_service_exit_ends_the_run(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ON_FAILURE);
    s->cfg->is_main = 1;
    struct svc_effect fx = exit_at(s, 50000, 0); /* on-failure: 0 is not restarted */
    assert_int_equal(s->state, SVC_EXITED);
    assert_true(fx.shutdown);
    assert_int_equal(fx.exit_code, 0);
    assert_true(s->has_status);
}

static void test_tasks_and_shutdown(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ALWAYS);
    s->cfg->is_task = 1;
    struct svc_effect fx = exit_at(s, 2000, 0);
    assert_int_equal(s->state, SVC_EXITED);
    assert_false(fx.shutdown);
    fx = exit_at(s, 2000, 5);
    assert_true(fx.shutdown);
    assert_int_equal(fx.exit_code, 5);
    /* While shutting down an exit is just "stopped", whatever the policy. */
    s = fresh(RESTART_ALWAYS);
    struct svc_args a = at(3000);
    a.shutting_down = 1;
    s->state = SVC_STOPPING;
    s->pid = 4242;
    fx = svc_handle(s, SVC_EV_EXITED, &a);
    assert_int_equal(s->state, SVC_EXITED);
    assert_false(fx.shutdown);
}

static void test_waiting_gives_up_at_the_timeout(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ALWAYS);
    assert_int_equal(svc_deadline(s), UINT64_MAX);
    struct svc_args a = at(100);
    a.missing = "probe db";
    struct svc_effect fx = svc_handle(s, SVC_EV_BLOCKED, &a);
    assert_false(fx.shutdown);
    assert_int_equal(svc_deadline(s), 2100);
    a.now = 2099;
    assert_false(svc_handle(s, SVC_EV_BLOCKED, &a).shutdown);
    a.now = 2100;
    fx = svc_handle(s, SVC_EV_BLOCKED, &a);
    assert_true(fx.shutdown);
    assert_int_equal(fx.exit_code, 99);
}

static void test_unexpected_events_change_nothing(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ALWAYS);
    struct svc_args a = at(100);
    struct svc_effect fx = svc_handle(s, SVC_EV_PASSED, &a);
    assert_int_equal(s->state, SVC_WAITING);
    assert_false(fx.changed);
    fx = svc_handle(s, SVC_EV_STOP, &a);
    assert_int_equal(s->state, SVC_WAITING);
    fx = svc_handle(s, SVC_EV_ABANDON, &a);
    assert_int_equal(s->state, SVC_EXITED);
    assert_true(fx.changed);
    fx = svc_handle(s, SVC_EV_START, &a);
    assert_int_equal(s->state, SVC_EXITED);
    assert_string_equal(svc_state_name(SVC_BACKOFF), "backoff");
}

/* A real process: start, stop with its signal, SIGKILL at the timeout. */
static void test_start_stop_kill(void **state)
{
    (void)state;
    struct svc_rt *s = fresh(RESTART_ALWAYS);
    s->cfg->ready = "web";
    s->cfg->prefix_output = 1;
    s->cfg->stop_signal = SIGCONT; /* ignored by sleep: the timeout must act */
    s->cfg->stop_timeout_ms = 500;
    struct svc_args a = at(1000);
    struct svc_effect fx = svc_handle(s, SVC_EV_START, &a);
    assert_true(fx.started);
    assert_true(fx.out_fd >= 0 && fx.err_fd >= 0);
    assert_int_equal(s->state, SVC_STARTING); /* until probe web passes */
    assert_true(s->pid > 0);
    svc_handle(s, SVC_EV_PASSED, &a);
    assert_int_equal(s->state, SVC_READY);
    a.now = 2000;
    svc_handle(s, SVC_EV_STOP, &a);
    assert_int_equal(s->state, SVC_STOPPING);
    assert_int_equal(svc_deadline(s), 2500);
    a.now = 2499;
    svc_handle(s, SVC_EV_TICK, &a);
    assert_false(s->killed);
    a.now = 2500;
    svc_handle(s, SVC_EV_TICK, &a);
    assert_true(s->killed);
    assert_int_equal(svc_deadline(s), UINT64_MAX);
    int st;
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(fx.out_fd);
    close(fx.err_fd);
}

int main(void)
{
    log_verbosity = LOG_FATAL; /* the transitions' log lines are not under test */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_failures_back_off_then_give_up),
        cmocka_unit_test(test_a_stable_run_resets_the_backoff),
        cmocka_unit_test(test_main_service_exit_ends_the_run),
        cmocka_unit_test(test_tasks_and_shutdown),
        cmocka_unit_test(test_waiting_gives_up_at_the_timeout),
        cmocka_unit_test(test_unexpected_events_change_nothing),
        cmocka_unit_test(test_start_stop_kill),
    };
    return cmocka_run_group_tests_name("service_sm", tests, NULL, NULL);
}
