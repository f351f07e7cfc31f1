/* jobs.h: the retrieves in flight, each waiting for the instances it asked
 * the upstream to move to the bridge. An arriving C-STORE is matched to a
 * retrieve by the Message ID of the retrieve's upstream C-MOVE, when the
 * PACS names it (Move Originator Message ID), and by its SOP Instance UID
 * (the list the retrieve asked the upstream for), queued there (at most a
 * window of them: the upstream waits while the destination is slower), and
 * taken off by the thread sending them on. A retrieve may be added while
 * its list is still being asked for (the move and the listing run at
 * once): an instance that may be its waits until the list is there. */
#ifndef BRIDGE_JOBS_H
#define BRIDGE_JOBS_H

#include "cirr_dicom.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct job_item {
    char uid[65];
    char sop_class[65];
    int taken; /* arrived once: a second copy goes to another retrieve, or is refused */
};

/* Instances sent on wait for the job's next store handler to free them:
 * freeing takes the malloc arena of the thread that parsed them, whose
 * lock that thread holds while it parses the next, and the sending
 * thread (the one the caller waits for) then stalled 0.1-0.3 ms on one
 * free in seven. At most this many wait; beyond, or once the upstream is
 * done, the sending thread frees them itself. */
#define JOB_SPENT_MAX 4

/* An arrived instance, and its size (computed by the store handler, off
 * the sending thread's way: 2% of the bridge's CPU). */
struct job_slot {
    cirr_dicom_dataset *ds;
    size_t bytes;
};

struct job {
    struct job_item *items; /* sorted by uid (job_sort) */
    size_t n, cap;
    struct job_slot *q; /* ring of arrived instances */
    size_t qhead, qlen, window;
    cirr_dicom_dataset *spent[JOB_SPENT_MAX]; /* sent on, to be freed by a store handler */
    size_t nspent;
    unsigned arrived;
    int listed; /* items is complete and sorted (jobs_listed) */
    int upstream_done, closing;
    /* keep(keep_ud, instance, its transfer syntax): -1 sets not_kept; NULL: none */
    int (*keep)(void *keep_ud, const cirr_dicom_dataset *ds, const char *ts_uid);
    void *keep_ud;
    int not_kept;
    uint16_t move_id;       /* Message ID of its upstream C-MOVE (jobs_new_move_id) */
    unsigned users;         /* store handlers inside the job */
    uint64_t last_progress; /* monotonic ms */
    pthread_cond_t changed; /* arrived, taken, done, closing, a user left */
    struct job *next;
};

struct jobs {
    pthread_mutex_t mu;
    pthread_cond_t listed; /* a job was listed or removed */
    struct job *head;
    unsigned active;
    uint16_t last_move_id;
};

void jobs_init(struct jobs *j);
void jobs_destroy(struct jobs *j);

/* Append an instance to job's list (before it is added); 0 or -1 (memory). */
int job_add_item(struct job *job, const char *uid, const char *sop_class);
/* Make the queue: 0 or -1 (memory). */
int job_ready(struct job *job, size_t window);
/* The list is complete (job_add_item is done with it): sorted, and the
 * instances waiting for it matched. Before or after jobs_add. */
void jobs_listed(struct jobs *j, struct job *job);

/* Start and stop waiting for the job's instances. jobs_remove returns once
 * no store handler is inside the job any more; the job is then the
 * caller's to free (job_free). */
void jobs_add(struct jobs *j, struct job *job);
void jobs_remove(struct jobs *j, struct job *job);
void job_free(struct job *job);

/* A C-STORE from the upstream, queued for the retrieve waiting for it
 * (and kept: job->keep), waiting up to timeout_ms for room. ds is the
 * store handler's: once the retrieve is found, it is taken
 * (cirr_dicom_dataset_take) and left empty. 0x0000; 0x0124 when no
 * retrieve waits for it; 0xA700 when there was no room in time (or the
 * retrieve ended). */
uint16_t jobs_deliver(struct jobs *j, cirr_dicom_dataset *ds, const char *ts_uid, uint16_t move_id,
                      unsigned timeout_ms);
/* move_id: the Move Originator Message ID the C-STORE carried (only the
 * retrieve whose C-MOVE had it may take the instance), 0 when it carried
 * none (any retrieve waiting for the UID). While a retrieve it may belong
 * to is not listed yet, it waits (within timeout_ms) for the list. */

/* An instance the sending thread is done with: left for the job's next
 * store handler to free (see JOB_SPENT_MAX), or freed now. */
void jobs_spent(struct jobs *j, struct job *job, cirr_dicom_dataset *ds);

/* A Message ID for a retrieve's upstream C-MOVE, unlike those of the
 * retrieves in flight (IDs are the bridge's, not per association, so
 * that two upstream associations never send the same one). */
uint16_t jobs_new_move_id(struct jobs *j);

/* The next arrived instance of job (the caller frees it: jobs_spent) and
 * its size in bytes: 0, or -1 when none will come: the upstream is done,
 * or nothing arrived for timeout_ms (*timed_out set). */
int jobs_next(struct jobs *j, struct job *job, unsigned timeout_ms, cirr_dicom_dataset **out, size_t *bytes,
              int *timed_out);

/* The upstream's move ended: no more instances will come. */
void jobs_upstream_done(struct jobs *j, struct job *job);

#endif
