/* pullmove.c: C-MOVE's receiving side (see pullmove.h): one SCP on its
 * own thread, and the studies the rows expect, under one lock. */
#include "pullmove.h"

#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_EXPECTED 64 /* rows in flight: PULL_PARALLEL is at most 32 */
#define REFUSED_NOT_AUTHORIZED 0x0124

struct expected {
    char uid[65];
    pullmove_fn fn; /* NULL: a free slot */
    void *ud;
    int busy;       /* a C-STORE of this study is being taken */
};

static struct {
    cirr_dicom_scp *scp;
    pthread_t runner;
    const char *allowed[2];
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot freed, or a study no longer busy */
    struct expected slots[MAX_EXPECTED];
} rx = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

/* Under the lock: the slot expecting uid, or NULL. */
static struct expected *expecting(const char *uid)
{
    for (size_t i = 0; i < MAX_EXPECTED; i++)
        if (rx.slots[i].fn && !strcmp(rx.slots[i].uid, uid))
            return &rx.slots[i];
    return NULL;
}

static struct expected *free_slot(void)
{
    for (size_t i = 0; i < MAX_EXPECTED; i++)
        if (!rx.slots[i].fn)
            return &rx.slots[i];
    return NULL;
}

/* Claim the study's slot (waiting while another C-STORE of it is taken). */
static struct expected *claim(const char *uid)
{
    pthread_mutex_lock(&rx.lock);
    struct expected *e = *uid ? expecting(uid) : NULL;
    while (e && e->busy) {
        pthread_cond_wait(&rx.changed, &rx.lock);
        e = expecting(uid);
    }
    if (e)
        e->busy = 1;
    pthread_mutex_unlock(&rx.lock);
    return e;
}

static uint16_t store(const cirr_dicom_peer *peer, cirr_dicom_dataset *ds, const char *ts, void *ud)
{
    char uid[65], who[LOG_ESCAPED_SIZE(16)], what[LOG_ESCAPED_SIZE(64)];
    (void)ud;
    if (cirr_dicom_get_string(ds, CIRR_TAG_STUDY_INSTANCE_UID, uid, sizeof uid) != CIRR_DICOM_OK)
        uid[0] = '\0';
    struct expected *e = claim(uid);
    if (!e) {
        log_msg(LOG_WARN, NULL, "C-STORE from %s refused: study '%s' is not being retrieved",
                log_escape(who, sizeof who, peer->calling_aet), log_escape(what, sizeof what, uid));
        return REFUSED_NOT_AUTHORIZED;
    }
    uint16_t status = e->fn(ds, ts && *ts ? ts : CIRR_DICOM_TS_EXPLICIT_LE, e->ud);
    pthread_mutex_lock(&rx.lock);
    e->busy = 0;
    pthread_cond_broadcast(&rx.changed);
    pthread_mutex_unlock(&rx.lock);
    return status;
}

static uint16_t echo(const cirr_dicom_peer *peer, void *ud)
{
    (void)peer;
    (void)ud;
    return 0x0000;
}

static void *run(void *scp)
{
    cirr_dicom_scp_run(scp); /* returns once cirr_dicom_scp_stop was called */
    return NULL;
}

int pullmove_start(const struct pull_conf *pc, char *err, size_t cap)
{
    rx.allowed[0] = pc->source.aet;
    cirr_dicom_handlers h = {.echo = echo, .store = store};
    cirr_dicom_scp_config cfg = {.port = pc->port,
                                 .aet = pc->aet,
                                 .allowed = rx.allowed,
                                 .max_associations = pc->parallel + 2,
                                 .acse_timeout = pc->timeout,
                                 .dimse_timeout = pc->timeout};
    if (cirr_dicom_scp_new(&cfg, &h, &rx.scp) != CIRR_DICOM_OK) {
        snprintf(err, cap, "PULL_PORT=%u: %s", pc->port, cirr_dicom_last_error());
        return -1;
    }
    if (pthread_create(&rx.runner, NULL, run, rx.scp) != 0) {
        cirr_dicom_scp_free(rx.scp);
        rx.scp = NULL;
        snprintf(err, cap, "cannot start the C-STORE SCP's thread");
        return -1;
    }
    return 0;
}

void pullmove_stop(void)
{
    if (!rx.scp)
        return;
    cirr_dicom_scp_stop(rx.scp);
    pthread_join(rx.runner, NULL);
    cirr_dicom_scp_free(rx.scp);
    rx.scp = NULL;
}

void pullmove_expect(const char *uid, pullmove_fn fn, void *ud)
{
    pthread_mutex_lock(&rx.lock);
    struct expected *e = NULL;
    while (expecting(uid) || !(e = free_slot()))
        pthread_cond_wait(&rx.changed, &rx.lock);
    snprintf(e->uid, sizeof e->uid, "%s", uid);
    e->fn = fn;
    e->ud = ud;
    e->busy = 0;
    pthread_mutex_unlock(&rx.lock);
}

void pullmove_done(const char *uid)
{
    pthread_mutex_lock(&rx.lock);
    struct expected *e = expecting(uid);
    while (e && e->busy) {
        pthread_cond_wait(&rx.changed, &rx.lock);
        e = expecting(uid);
    }
    if (e)
        e->fn = NULL;
    pthread_cond_broadcast(&rx.changed);
    pthread_mutex_unlock(&rx.lock);
}
