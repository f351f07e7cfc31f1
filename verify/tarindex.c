/* tarindex.c: one pass over a tar's 512-byte headers (tarindex.h). */
#include "tarindex.h"

#include "array.h"
#include "envconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 512

struct scan {
    int fd;
    off_t pos;
    struct tar_index *ix;
    size_t cap;
    char *longname; /* from a GNU 'L' entry, for the next header */
    char *err;
    size_t errcap;
};

static int read_block(struct scan *s, unsigned char *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(s->fd, b + got, n - got, s->pos + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -2;
        if (r == 0)
            return envconf_fail(s->err, s->errcap, "truncated at byte %lld", (long long)(s->pos + (off_t)got));
        got += (size_t)r;
    }
    return 0;
}

/* A numeric field: octal digits (space or NUL padded), or base-256. */
static int number(const unsigned char *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (f[0] & 0x80) {
        for (size_t i = 1; i < n; i++) {
            if (v >> 55)
                return -1;
            v = v << 8 | f[i];
        }
        *out = v;
        return (f[0] & 0x7f) == 0 ? 0 : -1;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    size_t digits = 0;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60)
            return -1;
        v = v << 3 | (uint64_t)(f[i] - '0');
    }
    while (i < n && (f[i] == ' ' || f[i] == '\0'))
        i++;
    *out = v;
    return i == n && digits > 0 ? 0 : -1;
}

static int checksum_ok(const unsigned char *h)
{
    uint64_t want;
    unsigned long sum = 0;
    if (number(h + 148, 8, &want) < 0)
        return 0;
    for (int i = 0; i < BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum == want;
}

/* The header's name: the GNU long name if one came first, else prefix/name. */
static char *header_name(struct scan *s, const unsigned char *h)
{
    if (s->longname) {
        char *n = s->longname;
        s->longname = NULL;
        return n;
    }
    char buf[256 + 1];
    size_t plen = strnlen((const char *)h + 345, 155), nlen = strnlen((const char *)h, 100);
    if (memcmp(h + 257, "ustar", 5) == 0 && plen > 0 && h[156] != 'L' && memcmp(h + 257, "ustar ", 6) != 0)
        snprintf(buf, sizeof buf, "%.*s/%.*s", (int)plen, h + 345, (int)nlen, h);
    else
        snprintf(buf, sizeof buf, "%.*s", (int)nlen, h);
    return strdup(buf);
}

static int add_member(struct scan *s, char *name, uint64_t size, int regular)
{
    struct tar_index *ix = s->ix;
    if (ix->count >= TAR_MAX_MEMBERS)
        return free(name), envconf_fail(s->err, s->errcap, "more than %d members", TAR_MAX_MEMBERS);
    struct tar_member *m = array_grow(ix->members, &s->cap, ix->count + 1, sizeof *m, 0);
    if (!m)
        return free(name), envconf_fail(s->err, s->errcap, "out of memory");
    ix->members = m;
    char *shown = name;
    while (shown[0] == '.' && shown[1] == '/')
        shown += 2;
    memmove(name, shown, strlen(shown) + 1);
    ix->members[ix->count++] = (struct tar_member){name, s->pos + BLOCK, size, regular};
    return 0;
}

/* A GNU 'L' entry: its data is the next member's name. */
static int read_longname(struct scan *s, uint64_t size)
{
    if (size == 0 || size > TAR_NAME_MAX || s->longname)
        return envconf_fail(s->err, s->errcap, "bad GNU long name entry at byte %lld", (long long)s->pos);
    char *n = calloc(1, (size_t)size + 1);
    if (!n)
        return envconf_fail(s->err, s->errcap, "out of memory");
    s->pos += BLOCK;
    int rc = read_block(s, (unsigned char *)n, (size_t)size);
    s->pos -= BLOCK;
    if (rc < 0)
        return free(n), rc;
    s->longname = n;
    return 0;
}

/* One header at s->pos: 1 at the end of the archive, 0 next, <0 error. */
static int scan_header(struct scan *s)
{
    unsigned char h[BLOCK];
    int rc = read_block(s, h, BLOCK);
    if (rc < 0)
        return rc;
    static const unsigned char zero[BLOCK];
    if (memcmp(h, zero, BLOCK) == 0)
        return 1;
    uint64_t size;
    if (!checksum_ok(h) || number(h + 124, 12, &size) < 0 || size > ((uint64_t)1 << 42))
        return envconf_fail(s->err, s->errcap, "bad tar header at byte %lld", (long long)s->pos);
    char type = (char)h[156];
    if (type == 'L')
        rc = read_longname(s, size);
    else if (type == 'x' || type == 'g')
        return envconf_fail(s->err, s->errcap, "pax header at byte %lld (not supported)", (long long)s->pos);
    else {
        char *name = header_name(s, h);
        if (!name)
            return envconf_fail(s->err, s->errcap, "out of memory");
        rc = add_member(s, name, size, type == '0' || type == '\0' || type == '7');
    }
    s->pos += BLOCK + (off_t)((size + BLOCK - 1) / BLOCK * BLOCK);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct tar_member *)a)->name, ((const struct tar_member *)b)->name);
}

int tar_index_read(int fd, struct tar_index *ix, char *err, size_t cap)
{
    struct scan s = {fd, 0, ix, 0, NULL, err, cap};
    memset(ix, 0, sizeof *ix);
    int rc;
    while ((rc = scan_header(&s)) == 0)
        ;
    free(s.longname);
    if (rc == 1 && ix->count) {
        qsort(ix->members, ix->count, sizeof *ix->members, by_name);
        for (size_t i = 1; i < ix->count; i++)
            if (strcmp(ix->members[i - 1].name, ix->members[i].name) == 0) {
                envconf_fail(err, cap, "member %.200s appears twice", ix->members[i].name);
                rc = -1;
                break;
            }
    }
    if (rc < 0)
        tar_index_free(ix);
    return rc < 0 ? rc : 0;
}

void tar_index_free(struct tar_index *ix)
{
    for (size_t i = 0; i < ix->count; i++)
        free(ix->members[i].name);
    free(ix->members);
    memset(ix, 0, sizeof *ix);
}

const struct tar_member *tar_find(const struct tar_index *ix, const char *name)
{
    struct tar_member key = {.name = (char *)name};
    return ix->count ? bsearch(&key, ix->members, ix->count, sizeof key, by_name) : NULL;
}
