/* spool.h: the durable spool of cirr-mux (its folders: spool_layout.h).
 *
 * An instance is written once into tmp/ and appended to the journal
 * (journal.h); a group commit makes every record appended at that moment,
 * on any association, durable with one fdatasync, and only then are they
 * acknowledged and linked into the queue of every destination that wants
 * them (not flushed: the journal is the durable copy). Delivering to a
 * destination removes its link and notes it in the journal. Queues survive
 * kill -9 and power loss: at start the journal is replayed (queue files a
 * crash lost are made again), and tmp/ is emptied (never acknowledged). */
#ifndef MUX_SPOOL_H
#define MUX_SPOOL_H

#include "cirr_dicom.h"
#include "journal.h"
#include "muxconf.h"
#include "spool_layout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Senders told apart by the group commit (spool.c, gather). */
#define SPOOL_SENDER_SLOTS 64

struct spool {
    const struct mux_conf *conf;
    int fd;                  /* the spool folder */
    struct journal journal;
    pthread_mutex_t lock;
    pthread_cond_t done;
    pthread_cond_t appended; /* a record was appended (monotonic timed waits) */
    unsigned long long seen_ms[SPOOL_SENDER_SLOTS]; /* monotonic: a sender's last instance */
    atomic_uint next_slot;
    unsigned long long requested, committed;
    int committing;          /* a thread is committing now */
    atomic_ullong syncs;     /* group commits made */
    atomic_ullong fsyncs;    /* every flush since start: commits, segments, dead letters */
    atomic_ullong seq;
};

/* Create the folders (a new one made durable: the folder it is in is
 * fsynced), empty tmp/, replay the journal. 0, or -1 with one line in err. */
int spool_open(struct spool *s, const struct mux_conf *c, char *err, size_t cap);
void spool_close(struct spool *s);

/* Receive ds (kept in its transfer syntax ts_uid), SOP Instance UID
 * sop_uid: 0x0000 once it is durable in the queues of wanted[] (one flag
 * per destination), or a DIMSE failure status with why filled. name gets
 * the entry's name. */
uint16_t spool_accept(struct spool *s, cirr_dicom_dataset *ds, const char *ts_uid, const char *sop_uid,
                      const int *wanted, char *name, size_t cap, char *why, size_t whycap);

/* Free bytes on the spool's file system. */
unsigned long long spool_free_bytes(const struct spool *s);
/* Bytes held by the spool (sum over queue files, each file once). */
unsigned long long spool_bytes(const struct spool *s);

/* Path of a queued entry; 0, or -1 when it does not fit in cap. */
int spool_path(const struct spool *s, const char *dest, const char *name, char *buf, size_t cap);
/* Before it is read to be sent: the queue file of name for dest, at
 * path, checked against its journal record, made again if it does not
 * match (logged). */
void spool_check(struct spool *s, const char *dest, const char *name, const char *path);
/* Delivered: remove the destination's link, note it in the journal. */
void spool_done(struct spool *s, const char *dest, const char *name);
/* Move to the dead letters of dest with a reason file (reason escaped
 * to one line), durably. 0 or -1. */
int spool_dead(struct spool *s, const char *dest, const char *name, const char *reason);

/* fsync the folder of area for dest under root (after renames into or
 * out of it). 0, or -1/errno. */
int spool_sync_dir(const char *root, enum spool_area area, const char *dest);

/* The entry names in area (SPOOL_QUEUE or SPOOL_DEAD) of dest under the
 * spool folder root, oldest first; *names is NULL or an array the caller
 * frees, with each name. Returns how many. */
size_t spool_list(const char *root, enum spool_area area, const char *dest, char ***names);

#endif
