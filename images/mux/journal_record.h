/* journal_record.h: one record of the journal as it lies in a segment.
 *
 *   offset  size  field (little-endian)
 *        0     4  magic "CRJ1"
 *        4     4  CRC32 of bytes 8.. of the header and its three strings
 *        8     8  length of the instance's bytes
 *       16     4  CRC32 of the instance's bytes
 *       20     2  length of the entry's name (SOP Instance UID in it)
 *       22     2  length of the destination list (names, comma-separated)
 *       24     2  length of the transfer syntax UID
 *       26     2  0
 *       28        the three strings, then the instance (a Part 10 file)
 *
 * A record whose header does not check, or whose instance is cut short or
 * does not check, was torn by a power cut while it was being appended: it
 * was never acknowledged. */
#ifndef MUX_JOURNAL_RECORD_H
#define MUX_JOURNAL_RECORD_H

#include "spool_layout.h"

#include <stddef.h>
#include <stdint.h>

#define JREC_FIXED 28
#define JREC_DESTS_MAX 600 /* 16 destinations of up to 31 characters, commas */
#define JREC_TS_MAX 80
#define JREC_HEAD_MAX (JREC_FIXED + SPOOL_NAME_MAX + JREC_DESTS_MAX + JREC_TS_MAX)

struct jrec_head {
    uint64_t data_len;
    uint32_t data_crc;
    char name[SPOOL_NAME_MAX];
    char dests[JREC_DESTS_MAX];
    char ts[JREC_TS_MAX];
};

/* Encode h into out (JREC_HEAD_MAX bytes): the header's length, or 0 when
 * a string does not fit. */
size_t jrec_encode(const struct jrec_head *h, uint8_t *out);

/* The header's total length from its first JREC_FIXED bytes, or 0 when
 * they are not a record's. */
size_t jrec_head_len(const uint8_t *fixed);

/* Decode the len bytes of a header (jrec_head_len's): 0, or -1 when it
 * does not check. */
int jrec_decode(const uint8_t *buf, size_t len, struct jrec_head *h);

/* The len bytes at at in the segment fd (malloc'd), if their CRC32 is
 * crc; else NULL. */
uint8_t *jrec_read_data(int fd, uint64_t at, uint64_t len, uint32_t crc);

/* CRC32 of len bytes, continuing crc (0 to start). */
uint32_t jrec_crc(uint32_t crc, const void *buf, size_t len);

#endif
