/* upstream.c: see upstream.h. */
#include "upstream.h"

#include "bridge.h"
#include "clock.h"
#include "log.h"

#include <string.h>

/* Rows: FIND, MOVE, GET of one root. */
static const char *const models[2][3] = {
    {"1.2.840.10008.5.1.4.1.2.1.1", "1.2.840.10008.5.1.4.1.2.1.2", "1.2.840.10008.5.1.4.1.2.1.3"}, /* patient */
    {"1.2.840.10008.5.1.4.1.2.2.1", "1.2.840.10008.5.1.4.1.2.2.2", "1.2.840.10008.5.1.4.1.2.2.3"}, /* study */
};

static int root_of(const char *sop_class)
{
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 3; k++)
            if (!strcmp(models[r][k], sop_class))
                return r;
    return -1;
}

const char *upstream_find_model(const char *sop_class)
{
    int r = root_of(sop_class);
    return r < 0 ? NULL : models[r][0];
}

const char *upstream_move_model(const char *sop_class)
{
    int r = root_of(sop_class);
    return r < 0 ? NULL : models[r][1];
}

/* A new association, ACSE timeout acse_s: 0, or -1 (counted; the reason
 * in cirr_dicom_last_error). */
static int connect_upstream(struct bridge *b, unsigned acse_s, cirr_dicom_scu **out)
{
    static const char *const classes[] = {
        "1.2.840.10008.5.1.4.1.2.1.1", "1.2.840.10008.5.1.4.1.2.1.2",
        "1.2.840.10008.5.1.4.1.2.2.1", "1.2.840.10008.5.1.4.1.2.2.2", NULL};
    const struct peer *up = b->conf.upstream;
    cirr_dicom_peer_config pc = {.host = up->host, .port = up->port, .called_aet = up->aet,
                                 .calling_aet = b->conf.aet, .acse_timeout = acse_s,
                                 .dimse_timeout = b->conf.timeout_s};
    if (cirr_dicom_scu_open(&pc, classes, NULL, out) == CIRR_DICOM_OK) {
        b->stats.upstream_associations++;
        return 0;
    }
    b->stats.upstream_failures++;
    return -1;
}

/* An idle association, checked by C-ECHO when it waited long enough for
 * the PACS to have dropped it; NULL when there is none (or none alive). */
static cirr_dicom_scu *take_idle(struct bridge *b)
{
    struct upstream_pool *p = &b->pool;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        cirr_dicom_scu *scu = p->n ? p->idle[--p->n] : NULL; /* the freshest */
        uint64_t since = scu ? p->since[p->n] : 0;
        pthread_mutex_unlock(&p->mu);
        uint16_t status = 0;
        if (!scu || clock_mono_ms() - since < 500 ||
            (cirr_dicom_scu_echo(scu, &status) == CIRR_DICOM_OK && status == 0x0000))
            return scu;
        cirr_dicom_scu_close(scu); /* the PACS let it go */
        throttle_release(&b->throttle);
    }
}

struct waiting { const char *what, *aet; };

static void log_wait(void *ud, unsigned in_use, unsigned queued)
{
    struct waiting *w = ud;
    log_msg(LOG_INFO, NULL, "%s from %s waits for an upstream association (%u in use, %u queued)", w->what, w->aet,
            in_use, queued);
}

uint16_t upstream_open(struct bridge *b, const char *caller, const char *what, unsigned wait_ms,
                       cirr_dicom_scu **out)
{
    char aet[LOG_ESCAPED_SIZE(16)];
    struct throttle *t = &b->throttle;
    struct waiting w = {what, aet};
    if ((*out = take_idle(b)))
        return 0x0000; /* its slot comes with it */
    log_escape(aet, sizeof aet, caller);
    if (throttle_acquire(t, caller, wait_ms, log_wait, &w) < 0) {
        log_msg(LOG_WARN, NULL, "%s from %s refused (0xA700): no upstream association in time (BRIDGE_QUEUE_TIMEOUT)",
                what, aet);
        return 0xA700;
    }
    if (connect_upstream(b, b->conf.timeout_s, out) == 0)
        return 0x0000;
    char why[LOG_ESCAPED_SIZE(256)];
    const struct peer *up = b->conf.upstream;
    log_msg(LOG_WARN, NULL, "%s from %s: cannot reach the upstream %s@%s:%u: %s", what, aet, up->aet, up->host,
            up->port, log_escape(why, sizeof why, cirr_dicom_last_error()));
    throttle_release(t);
    return strcmp(what, "C-FIND") ? 0xA702 : 0xC000;
}

/* A second association is only worth it when it opens at once: a PACS
 * that refuses it (or serves one association at a time) is not asked
 * again for a minute, and the first attempt waits SPARE_ACSE_S at most. */
#define SPARE_ACSE_S 2u
#define SPARE_BACKOFF_MS 60000u

cirr_dicom_scu *upstream_spare(struct bridge *b)
{
    struct upstream_pool *p = &b->pool;
    cirr_dicom_scu *scu = take_idle(b);
    if (scu)
        return scu;
    pthread_mutex_lock(&p->mu);
    int refused = clock_mono_ms() < p->spare_refused_until;
    pthread_mutex_unlock(&p->mu);
    if (refused || !b->conf.upstream_idle_s || throttle_try_acquire(&b->throttle) < 0)
        return NULL;
    if (connect_upstream(b, SPARE_ACSE_S < b->conf.timeout_s ? SPARE_ACSE_S : b->conf.timeout_s, &scu) == 0)
        return scu;
    throttle_release(&b->throttle);
    char why[LOG_ESCAPED_SIZE(256)];
    log_msg(LOG_INFO, NULL, "a second upstream association could not be opened (%s): for a minute, retrieves list "
            "their instances before they move, on one", log_escape(why, sizeof why, cirr_dicom_last_error()));
    pthread_mutex_lock(&p->mu);
    p->spare_refused_until = clock_mono_ms() + SPARE_BACKOFF_MS;
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void upstream_close(struct bridge *b, cirr_dicom_scu *scu, int reusable)
{
    struct upstream_pool *p = &b->pool;
    pthread_mutex_lock(&b->throttle.mu);
    int waiters = b->throttle.queued; /* a waiter gets the slot: no keeping it idle */
    pthread_mutex_unlock(&b->throttle.mu);
    pthread_mutex_lock(&p->mu);
    int keep = reusable && b->conf.upstream_idle_s && !waiters && p->n < UPSTREAM_MAX_IDLE;
    if (keep) {
        p->idle[p->n] = scu;
        p->since[p->n++] = clock_mono_ms();
    }
    pthread_mutex_unlock(&p->mu);
    if (keep)
        return;
    cirr_dicom_scu_close(scu);
    throttle_release(&b->throttle);
}

void upstream_reap(struct bridge *b, int all)
{
    struct upstream_pool *p = &b->pool;
    uint64_t now = clock_mono_ms(), limit = (uint64_t)b->conf.upstream_idle_s * 1000;
    /* a request that found the pool empty may have queued just before
     * another's association went idle: the waiter gets that slot */
    pthread_mutex_lock(&b->throttle.mu);
    all |= b->throttle.queued > 0;
    pthread_mutex_unlock(&b->throttle.mu);
    for (;;) {
        cirr_dicom_scu *scu = NULL;
        pthread_mutex_lock(&p->mu);
        if (p->n && (all || now - p->since[0] >= limit)) { /* the oldest is first */
            scu = p->idle[0];
            p->n--;
            memmove(p->idle, p->idle + 1, p->n * sizeof *p->idle);
            memmove(p->since, p->since + 1, p->n * sizeof *p->since);
        }
        pthread_mutex_unlock(&p->mu);
        if (!scu)
            return;
        cirr_dicom_scu_close(scu);
        throttle_release(&b->throttle);
    }
}
