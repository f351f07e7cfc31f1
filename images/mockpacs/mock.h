/* mock.h: the state mockpacs shares between its threads. */
#ifndef MOCK_MOCK_H
#define MOCK_MOCK_H

#include "catalog.h"
#include "httpd.h"
#include "cirr_dicom.h"
#include "site.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

struct mock {
    struct site site;
    struct catalog catalog;
    struct store store;
    atomic_ulong associations, finds, retrieved, stored, pushed;
    atomic_llong last_activity; /* unix time */
    struct httpd httpd;
    int has_http;
    struct {                    /* push mode (push.c) */
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;    /* on the monotonic clock */
        int running, stopping;
    } push;
};

/* DIMSE handlers (query.c, pull.c, main.c). */
uint16_t mock_find(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                   cirr_dicom_find_sink *sink, void *ud);
uint16_t mock_retrieve(const cirr_dicom_peer *peer, const char *sop_class, const cirr_dicom_dataset *query,
                       cirr_dicom_instances *out, void *ud);

/* Push mode (push.c): a thread that sends new studies at the site's rates
 * until push_stop, which wakes it and waits for the study in flight. */
int push_start(struct mock *m);
void push_stop(struct mock *m);

/* Status endpoint (http.c): GET /status (JSON) and GET /health. */
int http_start(struct mock *m, unsigned port);

#endif
