/* push.c: push mode: simulated modalities send new studies by C-STORE to
 * a destination (MOCK_PUSH names a MOD_<NAME>), at the services' rates
 * (studies per hour, times MOCK_PUSH_SPEEDUP). One log line per study. */
#include "clock.h"
#include "generate.h"
#include "log.h"
#include "mock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double total_rate(const struct site *s)
{
    double r = 0;
    for (unsigned i = 0; i < s->nservices; i++)
        r += s->services[i].per_hour;
    return r;
}

/* Send every instance of one new study; returns instances sent or -1. */
static int push_study(struct mock *m, const struct peer *d, uint32_t k, const struct study *st,
                      char *why, size_t cap)
{
    const struct catalog *c = &m->catalog;
    const char *classes[4] = {NULL}; /* the images', the dose report's, the screen capture's */
    for (unsigned j = 0, n = 0; j < catalog_series_count(c, st) && n < 3; j++)
        if (!n || strcmp(classes[n - 1], catalog_sop_class(c, st, j)))
            classes[n++] = catalog_sop_class(c, st, j);
    char station[32];
    snprintf(station, sizeof station, "%s%u", catalog_modality(c, st)->code, st->device + 1);
    cirr_dicom_peer_config pc = {d->host, d->port, d->aet, station, 30, 60, 0};
    cirr_dicom_scu *scu;
    if (cirr_dicom_scu_open(&pc, classes, NULL, &scu) != CIRR_DICOM_OK) {
        snprintf(why, cap, "%s", cirr_dicom_last_error());
        return -1;
    }
    int sent = 0;
    for (unsigned j = 0; j < catalog_series_count(c, st) && sent >= 0; j++)
        for (unsigned i = 0; i < catalog_instance_count(c, st, j) && sent >= 0; i++) {
            cirr_dicom_dataset *ds;
            uint16_t status = 0;
            if (generate_instance(c, k, st, j, i, &ds) != CIRR_DICOM_OK ||
                cirr_dicom_scu_store(scu, ds, &status) != CIRR_DICOM_OK) {
                snprintf(why, cap, "instance %u of series %u: %s (status 0x%04x)", i + 1, j + 1,
                         cirr_dicom_last_error(), status);
                sent = -1;
            } else {
                sent++;
            }
            cirr_dicom_dataset_free(ds);
        }
    cirr_dicom_scu_close(scu);
    return sent;
}

/* Wait ms milliseconds, or less when push_stop is called; 1 when stopping. */
static int wait_or_stop(struct mock *m, uint64_t ms)
{
    struct timespec until = clock_timespec(clock_mono_ms() + ms);
    pthread_mutex_lock(&m->push.lock);
    while (!m->push.stopping && pthread_cond_timedwait(&m->push.wake, &m->push.lock, &until) == 0)
        ;
    int stopping = m->push.stopping;
    pthread_mutex_unlock(&m->push.lock);
    return stopping;
}

static void *push_thread(void *arg)
{
    struct mock *m = arg;
    const struct peer *d = site_destination(&m->site, m->site.push_dest);
    double rate = total_rate(&m->site) * m->site.push_speedup; /* studies per hour */
    double interval = rate > 0 ? 3600.0 / rate : 3600.0;
    uint32_t k = m->catalog.nstudies; /* new studies follow the history */
    log_msg(LOG_INFO, "push", "sending new studies to %s (%s@%s:%u), one every %.1fs", d->name, d->aet,
            d->host, d->port, interval);
    do {
        if (m->site.push_limit && m->pushed >= m->site.push_limit)
            break;
        struct study st;
        catalog_make_study(&m->catalog, k, (long long)time(NULL), &st);
        char uid[96], why[512] = "";
        catalog_uid(&m->catalog, k, -1, -1, uid, sizeof uid);
        int n = push_study(m, d, k, &st, why, sizeof why);
        if (n >= 0) {
            m->pushed++;
            m->last_activity = time(NULL);
            log_msg(LOG_INFO, "push", "study %s (%s, %d instances) sent to %s", uid,
                    catalog_modality(&m->catalog, &st)->code, n, d->name);
        } else {
            log_msg(LOG_WARN, "push", "study %s not sent to %s: %s", uid, d->name, why);
        }
        k++;
    } while (!wait_or_stop(m, (uint64_t)(interval * 1000)));
    return NULL;
}

int push_start(struct mock *m)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&m->push.wake, &attr) != 0)
        return -1;
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&m->push.lock, NULL);
    if (pthread_create(&m->push.thread, NULL, push_thread, m) != 0)
        return -1;
    m->push.running = 1;
    return 0;
}

void push_stop(struct mock *m)
{
    if (!m->push.running)
        return;
    pthread_mutex_lock(&m->push.lock);
    m->push.stopping = 1;
    pthread_cond_signal(&m->push.wake);
    pthread_mutex_unlock(&m->push.lock);
    pthread_join(m->push.thread, NULL);
    pthread_cond_destroy(&m->push.wake);
    pthread_mutex_destroy(&m->push.lock);
    m->push.running = 0;
}
