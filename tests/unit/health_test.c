/* Unit tests of the health verdict (init/health.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "health.h"

#include <string.h>

static int alive(int pid) { return pid == 42; }

static void expect(const char *text, int rc, const char *msg)
{
    char out[512];
    assert_int_equal(health_judge(text, alive, out, sizeof out), rc);
    assert_string_equal(out, msg);
}

static void test_verdicts(void **state)
{
    (void)state;
    expect("cirr-init-status 1\npid 42\nphase services\n"
           "task setup exited 0 - 0 -\n"
           "service orthanc ready 7 0 - web\n"
           "probe web pass \n",
           0, "healthy: 1 service running");
    expect("cirr-init-status 1\npid 42\nphase services\n"
           "service orthanc ready 7 0 - web\nprobe web fail HTTP 401 (expected 200)\n",
           1, "unhealthy: service orthanc: probe web failing: HTTP 401 (expected 200)");
    expect("cirr-init-status 1\npid 42\nphase services\n"
           "service orthanc backoff 0 3 1 -\n",
           1, "unhealthy: service orthanc is backoff (last exit status 1, 3 restarts)");
    expect("cirr-init-status 1\npid 42\nphase services\n"
           "service orthanc starting 7 0 - web\nprobe web pending \n",
           1, "unhealthy: service orthanc: probe web has not run yet");
    expect("cirr-init-status 1\npid 43\nphase services\n", 1, "unhealthy: cirr-init (pid 43) is not running");
    expect("cirr-init-status 1\npid 42\nphase stopping\n", 1, "unhealthy: shutting down");
    expect("cirr-init-status 1\npid 42\nphase tasks\n", 1, "unhealthy: start-up tasks still running");
    expect("garbage", 1, "unhealthy: status file not recognised");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_verdicts)};
    return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
