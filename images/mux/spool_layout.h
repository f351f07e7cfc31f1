/* spool_layout.h: the one place that knows how the spool lies on disk.
 *
 *   SPOOL/tmp/NAME                 an instance being received
 *   SPOOL/journal/SEQ.jnl          the durable copy: received instances, appended
 *   SPOOL/journal/SEQ.done         deliveries of that segment's records (not fsynced)
 *   SPOOL/queue/DEST/NAME          one hard link per destination that wants it,
 *                                  made from the journal (or, before it, durable)
 *   SPOOL/dead/DEST/NAME           given up on, with NAME.reason beside it
 *   SPOOL/dead/DEST/NAME.reason    why (one line)
 *
 * NAME is "<received, wall-clock ms, 13 digits>-<sequence, 6 digits>-<SOP
 * Instance UID>.dcm": names sort by arrival, and the arrival time survives
 * a restart (it is compared with the wall clock for MUX_MAX_AGE_HOURS).
 * SEQ is 16 hexadecimal digits: segments sort by age. Everything that
 * builds a spool path or reads a name goes through here. */
#ifndef MUX_SPOOL_LAYOUT_H
#define MUX_SPOOL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any entry's name, and for any path built here from a
 * configured spool (MUX_SPOOL has at most 255 characters). */
#define SPOOL_NAME_MAX 128
#define SPOOL_PATH_MAX 1024

enum spool_area {
    SPOOL_TMP,   /* SPOOL/tmp: not per destination */
    SPOOL_QUEUE, /* SPOOL/queue/DEST */
    SPOOL_DEAD,  /* SPOOL/dead/DEST */
    SPOOL_JOURNAL, /* SPOOL/journal: not per destination */
};

/* The folder of area for dest (ignored for SPOOL_TMP) under root. These
 * path functions return 0, or -1 (errno ENAMETOOLONG) when cap is too
 * small, buf then holding a truncated path that must not be used. */
int spool_dir_path(char *buf, size_t cap, const char *root, enum spool_area area, const char *dest);

/* The entry name in area for dest (ignored for SPOOL_TMP) under root. */
int spool_entry_path(char *buf, size_t cap, const char *root, enum spool_area area, const char *dest,
                     const char *name);

/* The reason file beside dead letter name of dest. */
int spool_reason_path(char *buf, size_t cap, const char *root, const char *dest, const char *name);

/* The journal segment seq (done: its deliveries log) under root. */
int spool_segment_path(char *buf, size_t cap, const char *root, unsigned long long seq, int done);

/* 1 and *seq if a folder entry called name is a journal segment (SEQ.jnl), else 0. */
int spool_is_segment(const char *name, unsigned long long *seq);

/* The name of an instance received at wall_ms, the seq-th since start,
 * with SOP Instance UID sop_uid (its first 64 characters; any but letters,
 * digits, '.' and '-' becomes '_'). */
void spool_entry_name(char *buf, size_t cap, uint64_t wall_ms, unsigned long long seq, const char *sop_uid);

/* When the entry was received, in wall-clock ms since the epoch. */
uint64_t spool_received_ms(const char *name);

/* 1 if a folder entry called name is an instance (NAME.dcm), else 0. */
int spool_is_entry(const char *name);

/* 1 if a folder entry called name is a reason file (NAME.reason), else 0. */
int spool_is_reason(const char *name);

#endif
