/* Unit tests of the bridge's retrieves in flight (images/bridge/jobs.c)
 * while a retrieve's list is still being asked for (the move and the
 * listing run at once): an instance that may be its waits for the list and
 * is then matched, with or without the Move Originator Message ID; one for
 * another move does not wait; one not in the list, or for a retrieve that
 * ends unlisted, is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "jobs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LISTED_UID "1.2.826.0.1.3680043.2.1125.1.1"
#define OTHER_UID "1.2.826.0.1.3680043.2.1125.1.2"
#define CT "1.2.840.10008.5.1.4.1.1.2"
#define TIMEOUT_MS 60000u /* a store that waited for nothing would wait this long */

static struct jobs registry;

/* A store handler delivering one instance on its own thread. */
struct store {
    pthread_t thread;
    const char *uid;
    uint16_t move_id;
    uint16_t status;
    atomic_int done;
};

static void *deliver(void *arg)
{
    struct store *s = arg;
    cirr_dicom_dataset *ds = NULL; /* (no cmocka asserts off the main thread) */
    s->status = 0xFFFF;            /* the instance could not be made */
    if (cirr_dicom_dataset_new(&ds) == CIRR_DICOM_OK &&
        cirr_dicom_set_string(ds, CIRR_TAG_SOP_INSTANCE_UID, s->uid) == CIRR_DICOM_OK)
        s->status = jobs_deliver(&registry, ds, "1.2.840.10008.1.2.1", s->move_id, TIMEOUT_MS);
    cirr_dicom_dataset_free(ds);
    atomic_store(&s->done, 1);
    return NULL;
}

static void start_store(struct store *s, const char *uid, uint16_t move_id)
{
    memset(s, 0, sizeof *s);
    s->uid = uid;
    s->move_id = move_id;
    assert_int_equal(pthread_create(&s->thread, NULL, deliver, s), 0);
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A retrieve in the registry whose list is not there yet. */
static struct job *unlisted_job(uint16_t move_id)
{
    struct job *job = calloc(1, sizeof *job);
    assert_non_null(job);
    assert_int_equal(job_ready(job, 4), 0);
    job->move_id = move_id;
    jobs_add(&registry, job);
    return job;
}

static void list(struct job *job)
{
    assert_int_equal(job_add_item(job, LISTED_UID, CT), 0);
    jobs_listed(&registry, job);
}

/* The instance the sending thread gets next: its UID, "" when none. */
static void next_uid(struct job *job, char uid[65])
{
    cirr_dicom_dataset *ds = NULL;
    size_t bytes = 0;
    int timed_out = 0;
    uid[0] = '\0';
    jobs_upstream_done(&registry, job); /* nothing more: jobs_next does not wait */
    if (jobs_next(&registry, job, 1000, &ds, &bytes, &timed_out) == 0) {
        assert_int_equal(cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, uid, 65), CIRR_DICOM_OK);
        cirr_dicom_dataset_free(ds);
    }
}

static void end(struct job *job)
{
    jobs_remove(&registry, job);
    job_free(job);
}

/* Arrived before the list, it waits (it is not refused), then is queued. */
static void arrives_before_its_list(uint16_t sent_move_id)
{
    struct job *job = unlisted_job(7);
    struct store s;
    start_store(&s, LISTED_UID, sent_move_id);
    pause_ms(200);
    assert_false(atomic_load(&s.done));
    list(job);
    pthread_join(s.thread, NULL);
    assert_int_equal(s.status, 0x0000);
    char uid[65];
    next_uid(job, uid);
    assert_string_equal(uid, LISTED_UID);
    end(job);
}

static void test_an_instance_naming_its_move_waits_for_the_list(void **state)
{
    (void)state;
    arrives_before_its_list(7);
}

static void test_an_instance_naming_no_move_waits_for_the_list(void **state)
{
    (void)state;
    arrives_before_its_list(0);
}

static void test_an_instance_of_another_move_does_not_wait(void **state)
{
    (void)state;
    struct job *job = unlisted_job(7);
    struct store s;
    start_store(&s, LISTED_UID, 8);
    pthread_join(s.thread, NULL); /* before the list: it waited for nothing */
    assert_int_equal(s.status, 0x0124);
    list(job);
    end(job);
}

static void test_an_instance_missing_from_the_list_is_refused(void **state)
{
    (void)state;
    struct job *job = unlisted_job(7);
    struct store s;
    start_store(&s, OTHER_UID, 7);
    pause_ms(100);
    list(job);
    pthread_join(s.thread, NULL);
    assert_int_equal(s.status, 0x0124);
    char uid[65];
    next_uid(job, uid);
    assert_string_equal(uid, "");
    end(job);
}

static void test_a_retrieve_ending_unlisted_refuses_what_waits(void **state)
{
    (void)state;
    struct job *job = unlisted_job(7);
    struct store s;
    start_store(&s, LISTED_UID, 7);
    pause_ms(100);
    jobs_remove(&registry, job); /* its listing failed */
    pthread_join(s.thread, NULL);
    assert_int_equal(s.status, 0x0124);
    job_free(job);
}

static int setup(void **state)
{
    (void)state;
    if (cirr_dicom_init() != CIRR_DICOM_OK)
        return -1;
    jobs_init(&registry);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jobs_destroy(&registry);
    cirr_dicom_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_instance_naming_its_move_waits_for_the_list),
        cmocka_unit_test(test_an_instance_naming_no_move_waits_for_the_list),
        cmocka_unit_test(test_an_instance_of_another_move_does_not_wait),
        cmocka_unit_test(test_an_instance_missing_from_the_list_is_refused),
        cmocka_unit_test(test_a_retrieve_ending_unlisted_refuses_what_waits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
