/* outbox.h: the on-disk outbox between the sources and the sinks. A source
 * writes a batch once (tmp/, fsynced), hard-links it into each sink's
 * folder, fsyncs the folders, and only then advances its cursor: the sink
 * "has" the events from then on, across kill -9 and power loss. A sink's
 * sender removes a batch once the sink has it (HEC answered, or
 * acknowledged; PostgreSQL committed), or moves it to dead/<sink>/ with a
 * .reason when the sink refuses it for good. Bounded: a source waits while
 * any sink's outbox holds more than the limit.
 *
 * A batch is text, one event a line:
 *   INDEX \t ROUTE \t UID \t READ_MS \t TIME \t EVENT_JSON \n
 * READ_MS: when the source read it (wall ms); TIME: the event's time
 * (seconds since the epoch, for HEC's "time"). */
#ifndef WATCH_OUTBOX_H
#define WATCH_OUTBOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MAX_SINKS 2

struct outbox_sink {
    char name[16];
    int dir_fd, dead_fd;            /* outbox/NAME and dead/NAME, open for fsync */
    uint64_t bytes, batches;        /* waiting now */
    uint64_t oldest_read_ms;        /* of the oldest batch waiting (0: none) */
};

struct outbox {
    char root[512];                 /* STATE */
    unsigned long long max_bytes;
    struct outbox_sink sinks[OUTBOX_MAX_SINKS];
    unsigned nsinks;
    uint64_t next;                  /* the next batch's number */
    pthread_mutex_t lock;
    pthread_cond_t changed;         /* a batch was added or removed */
};

/* Create STATE/outbox/{tmp,SINK...} and STATE/dead/SINK; count what waits.
 * 0, or -1 with err. */
int outbox_open(struct outbox *o, const char *state, const char *const *sinks, unsigned nsinks,
                unsigned long long max_bytes, char *err, size_t cap);
void outbox_close(struct outbox *o);  /* closes the folders */

/* Make path and its missing parents, durably (the parent of each folder
 * made is fsynced). 0, or -1/errno. */
int outbox_mkdirs(const char *path);

/* Durably add a batch for every sink (see above). 0, or -1/errno. */
int outbox_put(struct outbox *o, const char *data, size_t len, uint64_t read_ms);

/* 1 when some sink's outbox is over the limit. */
int outbox_full(struct outbox *o);

/* The oldest batch of sink s: its contents (malloc'd) and name; 1 when one
 * was found, 0 when none waited for up to wait_ms, -1 on error. */
int outbox_next(struct outbox *o, unsigned s, unsigned wait_ms, char *name, size_t cap, char **data, size_t *len);

/* The sink has batch `name`: remove it. */
void outbox_done(struct outbox *o, unsigned s, const char *name, size_t len);

/* The sink refused batch `name` for good: move it to STATE/dead/SINK/ with
 * NAME.reason holding reason. 0 or -1/errno. */
int outbox_dead(struct outbox *o, unsigned s, const char *name, size_t len, const char *reason);

/* Wake every waiter (used at stop). */
void outbox_wake(struct outbox *o);

#endif
