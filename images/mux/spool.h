/* spool.h: the durable spool of cirr-mux (its folders: spool_layout.h).
 *
 * An instance is written once into tmp/, linked into the queue of every
 * destination that wants it, made durable by a group commit (the files
 * waiting at that moment, on any association, are fsynced, then each
 * queue folder once), and only then acknowledged. Delivering to a
 * destination removes its link; when the last link goes, so does the file.
 * Queues survive kill -9 and power loss: at start they are read back, and
 * tmp/ is emptied (never acknowledged). */
#ifndef MUX_SPOOL_H
#define MUX_SPOOL_H

#include "cirr_dicom.h"
#include "muxconf.h"
#include "spool_layout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct spool {
    const struct mux_conf *conf;
    int fd;                  /* the spool folder */
    int queue_fds[MUX_MAX_DESTS]; /* queue folders, fsynced by each commit */
    pthread_mutex_t lock;
    pthread_cond_t done;
    unsigned long long requested, committed;
    int committing;          /* a thread is committing now */
    int *pending;            /* files written since the last commit started */
    size_t npending, cappending;
    atomic_ullong syncs;     /* group commits made */
    atomic_ullong fsyncs;    /* fsync calls made by them */
    atomic_ullong seq;
};

/* Create the folders (a new one made durable: the folder it is in is
 * fsynced), empty tmp/, open the queue folders. 0, or -1 with
 * one line in err. */
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
/* Delivered: remove the destination's link. */
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
