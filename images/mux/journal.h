/* journal.h: the spool's durable copy of every acknowledged instance.
 *
 * Received instances are appended to the active segment (journal_record.h);
 * one fdatasync of the segment makes every record appended before it
 * durable, however many associations they came on (the group commit). A
 * new segment's name is made durable once, when it is created. Deliveries
 * (and dead letters) are appended to the segment's done log without a
 * flush: one lost to a power cut only sends that instance again. A
 * segment goes when each of its records is served for every destination.
 * At start, journal_replay reads the segments back and re-makes the queue
 * files a crash lost. */
#ifndef MUX_JOURNAL_H
#define MUX_JOURNAL_H

#include "journal_record.h"
#include "muxconf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* A segment is closed for appending past this size: the rotation's one
 * folder fsync is spread over at least this many bytes. */
#define JOURNAL_SEGMENT_MAX (1ull << 30)

struct jseg {
    struct jseg *next;       /* the next younger segment */
    unsigned long long seq;
    int fd, done_fd;         /* done_fd: -1 until the first delivery */
    uint64_t size;
    size_t unresolved;       /* records with a destination still to serve */
    int stuck;               /* has records for a destination no longer configured */
    int dirty;               /* appended to since the last sync */
};

struct jrec {
    struct jrec *next;       /* in its hash bucket */
    struct jseg *seg;
    uint64_t off;            /* of the record in its segment */
    uint64_t data_at, data_len; /* its instance */
    uint32_t data_crc;
    uint32_t pending;        /* bit i: destination i still to serve */
    uint32_t unchecked;      /* bit i: its queue file for i predates this start (journal_check) */
    char name[SPOOL_NAME_MAX];
};

struct journal {
    const struct mux_conf *conf;
    int dirfd;               /* SPOOL/journal */
    pthread_mutex_t lock;
    struct jseg *segs, *active; /* oldest first; active is the last */
    struct jrec **buckets;   /* records with a destination to serve, by name */
    atomic_ullong *fsyncs;   /* every flush made, counted */
};

/* Replay what the folder holds (journal_replay), then start a new segment
 * for appending. 0, or -1 with one line in err. */
int journal_open(struct journal *j, const struct mux_conf *c, atomic_ullong *fsyncs, char *err, size_t cap);
void journal_close(struct journal *j);

/* Append the instance (len bytes, in transfer syntax ts) named name for
 * the destinations wanted[]: durable after the next journal_sync. 0, or
 * -1 with why (nothing appended). */
int journal_append(struct journal *j, const char *name, const int *wanted, const char *ts, const void *data,
                   size_t len, char *why, size_t whycap);

/* fdatasync each segment appended to since the last call. A failed flush
 * ends the process (exit 111): what the kernel then holds is not known,
 * and only a replay from the disk tells it. */
void journal_sync(struct journal *j);

/* Destination dest (an index into the configuration) has served name:
 * delivered, dead-lettered, or never to be (a failed commit). */
void journal_resolve(struct journal *j, unsigned dest, const char *name);

/* Before name is sent to dest, its queue file at path is checked against
 * the record (a file whose name a crash kept but whose data it did not,
 * not flushed, may hold zeros): 0 it matches, or is not the journal's to
 * check; 1 it did not and was made again from the journal; -1 it did not
 * and the record does not check either. Only a queue file that was there
 * before this start (found by replay) is read: one this process made is
 * whole in the page cache, and a crash that could spoil it means a
 * restart, whose replay marks it again. */
int journal_check(struct journal *j, unsigned dest, const char *name, const char *path);

/* The link that points at name's record (*it NULL when there is none). Lock held. */
struct jrec **journal_slot(struct journal *j, const char *name);

/* For journal_replay.c, lock not needed (before any thread): */
struct jseg *journal_add_segment(struct journal *j, unsigned long long seq, int fd, uint64_t size);
int journal_add_record(struct journal *j, struct jseg *seg, uint64_t off, uint64_t data_at, const struct jrec_head *h,
                       uint32_t pending, uint32_t unchecked);
void journal_log_done(struct journal *j, struct jseg *seg, uint64_t off, const char *dest);
void journal_drop_if_served(struct journal *j, struct jseg *seg);
int journal_dest_index(const struct mux_conf *c, const char *name);

/* journal_replay.c: every segment, oldest first; 0, or -1 with err. */
int journal_replay(struct journal *j, char *err, size_t cap);

#endif
