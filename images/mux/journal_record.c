/* journal_record.c: see journal_record.h. */
#include "journal_record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC 0x314a5243u /* "CRJ1" */
#define NAME_CHARS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-"


static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

uint32_t jrec_crc(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) { /* zlib takes an unsigned int at a time */
        unsigned n = len > (1u << 30) ? 1u << 30 : (unsigned)len;
        crc = (uint32_t)crc32(crc, p, n);
        p += n;
        len -= n;
    }
    return crc;
}

size_t jrec_encode(const struct jrec_head *h, uint8_t *out)
{
    size_t ln = strlen(h->name), ld = strlen(h->dests), lt = strlen(h->ts);
    if (ln >= SPOOL_NAME_MAX || ld >= JREC_DESTS_MAX || lt >= JREC_TS_MAX)
        return 0;
    put32(out, MAGIC);
    put64(out + 8, h->data_len);
    put32(out + 16, h->data_crc);
    put16(out + 20, (uint16_t)ln);
    put16(out + 22, (uint16_t)ld);
    put16(out + 24, (uint16_t)lt);
    put16(out + 26, 0);
    uint8_t *p = out + JREC_FIXED;
    memcpy(p, h->name, ln);
    memcpy(p + ln, h->dests, ld);
    memcpy(p + ln + ld, h->ts, lt);
    size_t len = JREC_FIXED + ln + ld + lt;
    put32(out + 4, jrec_crc(0, out + 8, len - 8));
    return len;
}

size_t jrec_head_len(const uint8_t *fixed)
{
    size_t ln = get16(fixed + 20), ld = get16(fixed + 22), lt = get16(fixed + 24);
    if (get32(fixed) != MAGIC || ln >= SPOOL_NAME_MAX || ld >= JREC_DESTS_MAX || lt >= JREC_TS_MAX)
        return 0;
    return JREC_FIXED + ln + ld + lt;
}

int jrec_decode(const uint8_t *buf, size_t len, struct jrec_head *h)
{
    if (len < JREC_FIXED || jrec_head_len(buf) != len || get32(buf + 4) != jrec_crc(0, buf + 8, len - 8))
        return -1;
    size_t ln = get16(buf + 20), ld = get16(buf + 22), lt = get16(buf + 24);
    const uint8_t *p = buf + JREC_FIXED;
    h->data_len = get64(buf + 8);
    h->data_crc = get32(buf + 16);
    memcpy(h->name, p, ln);
    h->name[ln] = '\0';
    memcpy(h->dests, p + ln, ld);
    h->dests[ld] = '\0';
    memcpy(h->ts, p + ln + ld, lt);
    h->ts[lt] = '\0';
    /* a name that came from disk reaches paths and logs only if it is one we make */
    return strlen(h->name) == ln && spool_is_entry(h->name) && strspn(h->name, NAME_CHARS) == ln ? 0 : -1;
}

uint8_t *jrec_read_data(int fd, uint64_t at, uint64_t len, uint32_t crc)
{
    uint8_t *buf = len < SIZE_MAX ? malloc(len ? (size_t)len : 1) : NULL;
    size_t got = 0;
    while (buf && got < len) {
        ssize_t n = pread(fd, buf + got, (size_t)len - got, (off_t)(at + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (buf && (got < len || jrec_crc(0, buf, got) != crc)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}
