/* apijobs.h: retrieves started over HTTP (the query page): each runs on a
 * thread of its own as a C-MOVE to the bridge's own DICOM port, calling
 * as the bridge's AE title from loopback, so that it takes the same way
 * as any caller's (throttle, relay, cache, metrics, log); its pending
 * answers are its progress. */
#ifndef BRIDGE_APIJOBS_H
#define BRIDGE_APIJOBS_H

#include "strbuf.h"

#include <pthread.h>
#include <stdint.h>

#define APIJOBS_MAX 64

enum apijob_state { APIJOB_FREE, APIJOB_RUNNING, APIJOB_DONE, APIJOB_FAILED };

struct apijob {
    unsigned id;
    enum apijob_state state;
    char study[65], dest[32], dest_aet[17];
    unsigned total, completed, failed, warning;
    uint16_t status;
    pthread_t thread;
    int joinable;
    struct bridge *b;
};

struct apijobs {
    pthread_mutex_t mu;
    struct apijob jobs[APIJOBS_MAX];
    unsigned next_id;
};

void apijobs_init(struct apijobs *j);
/* Wait for the running ones (after the DICOM port stopped, they end). */
void apijobs_stop(struct apijobs *j);

/* Start moving study to the MOD_<dest> peer: the job's id (> 0), or 0
 * when every slot holds a running job. study and dest are checked by the
 * caller. */
unsigned apijobs_start(struct apijobs *j, struct bridge *b, const char *study, const char *dest);

/* The job as JSON into body: 200, or 404 when there is no such job. */
int apijobs_json(struct apijobs *j, unsigned id, struct strbuf *body);

#endif
