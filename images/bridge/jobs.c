/* jobs.c: see jobs.h. One mutex for the registry and every queue: a
 * C-STORE's matching and queueing take microseconds. */
#include "jobs.h"

#include "array.h"
#include "cirr_dicom_relay.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void cond_init(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

void jobs_init(struct jobs *j)
{
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    cond_init(&j->listed);
}

void jobs_destroy(struct jobs *j)
{
    pthread_cond_destroy(&j->listed);
    pthread_mutex_destroy(&j->mu);
}

int job_add_item(struct job *job, const char *uid, const char *sop_class)
{
    struct job_item *items = array_grow(job->items, &job->cap, job->n + 1, sizeof *items, 64);
    if (!items)
        return -1;
    job->items = items;
    struct job_item *it = &items[job->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->uid, sizeof it->uid, "%s", uid);
    snprintf(it->sop_class, sizeof it->sop_class, "%s", sop_class);
    return 0;
}

static int by_uid(const void *a, const void *b)
{
    return strcmp(((const struct job_item *)a)->uid, ((const struct job_item *)b)->uid);
}

int job_ready(struct job *job, size_t window)
{
    job->window = window;
    job->q = calloc(window, sizeof *job->q);
    if (!job->q)
        return -1;
    cond_init(&job->changed);
    job->last_progress = clock_mono_ms();
    return 0;
}

void jobs_listed(struct jobs *j, struct job *job)
{
    /* unlisted, the job's items are nobody else's (claim skips it) */
    if (job->n)
        qsort(job->items, job->n, sizeof *job->items, by_uid);
    pthread_mutex_lock(&j->mu);
    job->listed = 1;
    pthread_cond_broadcast(&j->listed);
    pthread_mutex_unlock(&j->mu);
}

void jobs_add(struct jobs *j, struct job *job)
{
    pthread_mutex_lock(&j->mu);
    job->next = j->head;
    j->head = job;
    j->active++;
    pthread_mutex_unlock(&j->mu);
}

void jobs_remove(struct jobs *j, struct job *job)
{
    pthread_mutex_lock(&j->mu);
    for (struct job **p = &j->head; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            j->active--;
            break;
        }
    job->closing = 1;
    pthread_cond_broadcast(&job->changed);
    pthread_cond_broadcast(&j->listed); /* stores waiting for its list: it has none */
    while (job->users)
        pthread_cond_wait(&job->changed, &j->mu);
    pthread_mutex_unlock(&j->mu);
}

void job_free(struct job *job)
{
    if (!job)
        return;
    for (size_t k = 0; job->q && k < job->qlen; k++)
        cirr_dicom_dataset_free(job->q[(job->qhead + k) % job->window].ds);
    for (size_t k = 0; k < job->nspent; k++)
        cirr_dicom_dataset_free(job->spent[k]);
    if (job->q)
        pthread_cond_destroy(&job->changed);
    free(job->q);
    free(job->items);
    free(job);
}

/* The first job that waits for uid and has not had it yet (marked now);
 * with move_id, only the job whose C-MOVE that was. */
static struct job *claim(struct jobs *j, const char *uid, uint16_t move_id)
{
    struct job_item key;
    strncpy(key.uid, uid, sizeof key.uid - 1);
    key.uid[sizeof key.uid - 1] = '\0';
    for (struct job *job = j->head; job; job = job->next) {
        if ((move_id && job->move_id != move_id) || !job->listed)
            continue;
        struct job_item *it = job->n ? bsearch(&key, job->items, job->n, sizeof *job->items, by_uid) : NULL;
        if (it && !it->taken && !job->closing) {
            it->taken = 1;
            return job;
        }
    }
    return NULL;
}

/* A retrieve the instance may be for is still being listed: with
 * move_id, that C-MOVE's; without, any. */
static int awaits_listing(const struct jobs *j, uint16_t move_id)
{
    for (const struct job *job = j->head; job; job = job->next)
        if (!job->listed && !job->closing && (!move_id || job->move_id == move_id))
            return 1;
    return 0;
}

/* Wait (under j->mu) until the job has room, is closing, or timeout. */
static int wait_room(struct jobs *j, struct job *job, unsigned timeout_ms)
{
    struct timespec deadline = clock_timespec(clock_mono_ms() + timeout_ms);
    int rc = 0;
    while (job->qlen == job->window && !job->closing && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&job->changed, &j->mu, &deadline);
    return job->qlen < job->window && !job->closing ? 0 : -1;
}

uint16_t jobs_deliver(struct jobs *j, cirr_dicom_dataset *ds, const char *ts_uid, uint16_t move_id,
                      unsigned timeout_ms)
{
    char uid[65];
    cirr_dicom_dataset *taken = NULL;
    if (cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, uid, sizeof uid) != CIRR_DICOM_OK)
        return 0x0124;
    pthread_mutex_lock(&j->mu);
    struct timespec deadline = clock_timespec(clock_mono_ms() + timeout_ms);
    struct job *job;
    int rc = 0;
    while (!(job = claim(j, uid, move_id)) && awaits_listing(j, move_id) && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&j->listed, &j->mu, &deadline);
    if (!job) {
        pthread_mutex_unlock(&j->mu);
        return 0x0124;
    }
    job->users++;
    pthread_mutex_unlock(&j->mu);
    /* outside the lock: they take time; users keeps the job */
    int kept = !job->keep || job->keep(job->keep_ud, ds, ts_uid) == 0;
    int ours = cirr_dicom_dataset_take(ds, &taken) == CIRR_DICOM_OK; /* no copy: the store handler's to give */
    size_t bytes = 0;
    if (ours && cirr_dicom_dataset_size(taken, &bytes) != CIRR_DICOM_OK)
        bytes = 0;
    pthread_mutex_lock(&j->mu);
    job->not_kept |= !kept;
    uint16_t status = 0xA700;
    if (ours && wait_room(j, job, timeout_ms) == 0) {
        job->q[(job->qhead + job->qlen++) % job->window] = (struct job_slot){taken, bytes};
        job->arrived++;
        job->last_progress = clock_mono_ms();
        taken = NULL;
        status = 0x0000;
    }
    job->users--;
    cirr_dicom_dataset *spent[JOB_SPENT_MAX];
    size_t nspent = job->nspent;
    memcpy(spent, job->spent, nspent * sizeof *spent);
    job->nspent = 0;
    pthread_cond_broadcast(&job->changed);
    pthread_mutex_unlock(&j->mu);
    cirr_dicom_dataset_free(taken);
    for (size_t k = 0; k < nspent; k++) /* this thread's to wait for (see JOB_SPENT_MAX) */
        cirr_dicom_dataset_free(spent[k]);
    return status;
}

void jobs_spent(struct jobs *j, struct job *job, cirr_dicom_dataset *ds)
{
    pthread_mutex_lock(&j->mu);
    if (!job->upstream_done && !job->closing && job->nspent < JOB_SPENT_MAX) {
        job->spent[job->nspent++] = ds;
        ds = NULL;
    }
    pthread_mutex_unlock(&j->mu);
    cirr_dicom_dataset_free(ds);
}

int jobs_next(struct jobs *j, struct job *job, unsigned timeout_ms, cirr_dicom_dataset **out, size_t *bytes,
              int *timed_out)
{
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    *timed_out = 0;
    /* the deadline moves with every arrival: a large move is never cut while instances flow */
    while (!job->qlen && !job->upstream_done && rc != ETIMEDOUT) {
        struct timespec deadline = clock_timespec(job->last_progress + timeout_ms);
        rc = pthread_cond_timedwait(&job->changed, &j->mu, &deadline);
        if (rc == ETIMEDOUT && clock_mono_ms() < job->last_progress + timeout_ms)
            rc = 0;
    }
    *out = NULL;
    if (job->qlen) {
        *out = job->q[job->qhead].ds;
        *bytes = job->q[job->qhead].bytes;
        job->qhead = (job->qhead + 1) % job->window;
        job->qlen--;
        job->last_progress = clock_mono_ms();
        pthread_cond_broadcast(&job->changed);
    } else if (!job->upstream_done) {
        *timed_out = 1;
    }
    pthread_mutex_unlock(&j->mu);
    return *out ? 0 : -1;
}

void jobs_upstream_done(struct jobs *j, struct job *job)
{
    pthread_mutex_lock(&j->mu);
    job->upstream_done = 1;
    pthread_cond_broadcast(&job->changed);
    pthread_mutex_unlock(&j->mu);
}

uint16_t jobs_new_move_id(struct jobs *j)
{
    pthread_mutex_lock(&j->mu);
    int in_use;
    do {
        if (++j->last_move_id == 0) /* 0 is no Message ID */
            j->last_move_id = 1;
        in_use = 0;
        for (struct job *job = j->head; job; job = job->next)
            in_use |= job->move_id == j->last_move_id;
    } while (in_use);
    uint16_t id = j->last_move_id;
    pthread_mutex_unlock(&j->mu);
    return id;
}
