/* spool_layout.c: see spool_layout.h. */
#include "spool_layout.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_SUFFIX ".dcm"
#define REASON_SUFFIX ".reason"
#define SEGMENT_SUFFIX ".jnl"
#define DONE_SUFFIX ".done"

static const char *const area_names[] = {
    [SPOOL_TMP] = "tmp",
    [SPOOL_QUEUE] = "queue",
    [SPOOL_DEAD] = "dead",
    [SPOOL_JOURNAL] = "journal",
};

static int path(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int path(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int spool_dir_path(char *buf, size_t cap, const char *root, enum spool_area area, const char *dest)
{
    if (area == SPOOL_TMP || area == SPOOL_JOURNAL)
        return path(buf, cap, "%s/%s", root, area_names[area]);
    return path(buf, cap, "%s/%s/%s", root, area_names[area], dest);
}

int spool_entry_path(char *buf, size_t cap, const char *root, enum spool_area area, const char *dest,
                     const char *name)
{
    if (area == SPOOL_TMP || area == SPOOL_JOURNAL)
        return path(buf, cap, "%s/%s/%s", root, area_names[area], name);
    return path(buf, cap, "%s/%s/%s/%s", root, area_names[area], dest, name);
}

int spool_reason_path(char *buf, size_t cap, const char *root, const char *dest, const char *name)
{
    return path(buf, cap, "%s/%s/%s/%s" REASON_SUFFIX, root, area_names[SPOOL_DEAD], dest, name);
}

int spool_segment_path(char *buf, size_t cap, const char *root, unsigned long long seq, int done)
{
    return path(buf, cap, "%s/%s/%016llx%s", root, area_names[SPOOL_JOURNAL], seq, done ? DONE_SUFFIX : SEGMENT_SUFFIX);
}

int spool_is_segment(const char *name, unsigned long long *seq)
{
    size_t i = 0;
    for (; i < 16; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    if (strcmp(name + i, SEGMENT_SUFFIX))
        return 0;
    *seq = strtoull(name, NULL, 16);
    return 1;
}

/* A UID is digits and dots; anything else a peer put there (a '/', a
 * newline) must not reach a file name. */
static int name_safe(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' || c == '-';
}

void spool_entry_name(char *buf, size_t cap, uint64_t wall_ms, unsigned long long seq, const char *sop_uid)
{
    char uid[65];
    snprintf(uid, sizeof uid, "%s", sop_uid);
    for (char *p = uid; *p; p++)
        if (!name_safe(*p))
            *p = '_';
    snprintf(buf, cap, "%013llu-%06llu-%s" ENTRY_SUFFIX, (unsigned long long)wall_ms, seq % 1000000, uid);
}

uint64_t spool_received_ms(const char *name)
{
    return strtoull(name, NULL, 10);
}

static int ends_with(const char *name, const char *suffix)
{
    size_t len = strlen(name), n = strlen(suffix);
    return len > n && !strcmp(name + len - n, suffix);
}

int spool_is_entry(const char *name)
{
    return name[0] != '.' && ends_with(name, ENTRY_SUFFIX);
}

int spool_is_reason(const char *name)
{
    return ends_with(name, REASON_SUFFIX);
}
