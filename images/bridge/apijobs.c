/* apijobs.c: see apijobs.h. */
#include "apijobs.h"

#include "bridge.h"
#include "cirr_dicom_relay.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define STUDY_ROOT_MOVE "1.2.840.10008.5.1.4.1.2.2.2"

void apijobs_init(struct apijobs *j)
{
    memset(j, 0, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    j->next_id = 1;
}

void apijobs_stop(struct apijobs *j)
{
    for (unsigned i = 0; i < APIJOBS_MAX; i++)
        if (j->jobs[i].joinable)
            pthread_join(j->jobs[i].thread, NULL);
    pthread_mutex_destroy(&j->mu);
}

static void progress(long remaining, unsigned completed, unsigned failed, unsigned warning, void *ud)
{
    struct apijob *job = ud;
    struct apijobs *j = &job->b->apijobs;
    pthread_mutex_lock(&j->mu);
    job->completed = completed;
    job->failed = failed;
    job->warning = warning;
    if (remaining >= 0)
        job->total = (unsigned)remaining + completed + failed + warning;
    pthread_mutex_unlock(&j->mu);
}

static void *run(void *arg)
{
    struct apijob *job = arg;
    struct bridge *b = job->b;
    cirr_dicom_dataset *q = NULL;
    unsigned completed = 0, failed = 0;
    uint16_t status = 0xC000;
    cirr_dicom_peer_config pc = {.host = "127.0.0.1", .port = b->conf.port, .called_aet = b->conf.aet,
                                 .calling_aet = b->conf.aet, .acse_timeout = 30, .dimse_timeout = b->conf.timeout_s};
    cirr_dicom_status s = cirr_dicom_dataset_new(&q);
    if (s == CIRR_DICOM_OK) {
        cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
        cirr_dicom_set_string(q, CIRR_TAG_STUDY_INSTANCE_UID, job->study);
        s = cirr_dicom_move_with_progress(&pc, STUDY_ROOT_MOVE, q, job->dest_aet, progress, job, &completed, &failed,
                                          &status);
    }
    cirr_dicom_dataset_free(q);
    pthread_mutex_lock(&b->apijobs.mu);
    job->completed = completed;
    job->failed = failed;
    job->status = status;
    if (s == CIRR_DICOM_OK && status == 0x0000 && completed > job->total)
        job->total = completed;
    job->state = s == CIRR_DICOM_OK && status == 0x0000 ? APIJOB_DONE : APIJOB_FAILED;
    pthread_mutex_unlock(&b->apijobs.mu);
    log_msg(LOG_INFO, NULL, "HTTP retrieve %u of study %s to %s: %s (status 0x%04x, %u completed, %u failed)", job->id,
            job->study, job->dest, job->state == APIJOB_DONE ? "done" : "failed", status, completed, failed);
    return NULL;
}

/* A free slot, or the one of the oldest finished job (its thread joined). */
static struct apijob *slot(struct apijobs *j)
{
    struct apijob *best = NULL;
    for (unsigned i = 0; i < APIJOBS_MAX; i++) {
        struct apijob *x = &j->jobs[i];
        if (x->state == APIJOB_FREE)
            return x;
        if (x->state != APIJOB_RUNNING && (!best || x->id < best->id))
            best = x;
    }
    return best;
}

unsigned apijobs_start(struct apijobs *j, struct bridge *b, const char *study, const char *dest)
{
    const struct peer *p = NULL;
    for (unsigned i = 0; i < b->conf.npeers; i++)
        if (!strcmp(b->conf.peers[i].name, dest))
            p = &b->conf.peers[i];
    pthread_mutex_lock(&j->mu);
    struct apijob *job = p ? slot(j) : NULL;
    if (!job) {
        pthread_mutex_unlock(&j->mu);
        return 0;
    }
    if (job->joinable)
        pthread_join(job->thread, NULL); /* finished: returns at once */
    memset(job, 0, sizeof *job);
    job->id = j->next_id++;
    job->state = APIJOB_RUNNING;
    job->b = b;
    snprintf(job->study, sizeof job->study, "%s", study);
    snprintf(job->dest, sizeof job->dest, "%s", p->name);
    snprintf(job->dest_aet, sizeof job->dest_aet, "%s", p->aet);
    job->joinable = pthread_create(&job->thread, NULL, run, job) == 0;
    unsigned id = job->joinable ? job->id : 0;
    if (!job->joinable)
        job->state = APIJOB_FREE;
    pthread_mutex_unlock(&j->mu);
    return id;
}

int apijobs_json(struct apijobs *j, unsigned id, struct strbuf *body)
{
    static const char *const states[] = {"free", "running", "done", "failed"};
    int found = 0;
    pthread_mutex_lock(&j->mu);
    for (unsigned i = 0; i < APIJOBS_MAX && !found; i++) {
        struct apijob *x = &j->jobs[i];
        if (x->state == APIJOB_FREE || x->id != id)
            continue;
        found = 1;
        unsigned done = x->completed + x->failed + x->warning;
        unsigned percent = x->state == APIJOB_DONE ? 100 : x->total ? done * 100 / x->total : 0;
        strbuf_addf(body,
                    "{\"id\": %u, \"study\": \"%s\", \"destination\": \"%s\", \"state\": \"%s\", \"total\": %u, "
                    "\"completed\": %u, \"failed\": %u, \"warning\": %u, \"percent\": %u, \"status\": \"0x%04x\"}\n",
                    x->id, x->study, x->dest, states[x->state], x->total, x->completed, x->failed, x->warning,
                    percent, x->status);
    }
    pthread_mutex_unlock(&j->mu);
    return found ? 200 : 404;
}
