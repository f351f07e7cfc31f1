/* journal.c: see journal.h. */
#include "journal.h"

#include "fdio.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUCKETS 65536u

static unsigned bucket(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % BUCKETS;
}

int journal_dest_index(const struct mux_conf *c, const char *name)
{
    for (unsigned i = 0; i < c->ndests; i++)
        if (!strcmp(c->dests[i].peer.name, name))
            return (int)i;
    return -1;
}

struct jseg *journal_add_segment(struct journal *j, unsigned long long seq, int fd, uint64_t size)
{
    struct jseg *seg = calloc(1, sizeof *seg);
    if (!seg)
        return NULL;
    *seg = (struct jseg){.seq = seq, .fd = fd, .done_fd = -1, .size = size};
    struct jseg **at = &j->segs;
    while (*at)
        at = &(*at)->next;
    *at = seg;
    return seg;
}

int journal_add_record(struct journal *j, struct jseg *seg, uint64_t off, uint64_t data_at, const struct jrec_head *h,
                       uint32_t pending, uint32_t unchecked)
{
    struct jrec *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    *r = (struct jrec){.seg = seg, .off = off, .data_at = data_at, .data_len = h->data_len,
                       .data_crc = h->data_crc, .pending = pending, .unchecked = unchecked};
    snprintf(r->name, sizeof r->name, "%s", h->name);
    unsigned b = bucket(h->name);
    r->next = j->buckets[b];
    j->buckets[b] = r;
    seg->unresolved++;
    return 0;
}

void journal_log_done(struct journal *j, struct jseg *seg, uint64_t off, const char *dest)
{
    char path[SPOOL_PATH_MAX], line[64];
    if (seg->done_fd < 0 && spool_segment_path(path, sizeof path, j->conf->spool, seg->seq, 1) == 0)
        seg->done_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    int n = snprintf(line, sizeof line, "%llx %s\n", (unsigned long long)off, dest);
    /* not flushed: a line lost to a power cut sends that instance again */
    if (seg->done_fd < 0 || fd_write_all(seg->done_fd, line, (size_t)n) < 0)
        log_msg(LOG_WARN, NULL, "cannot note a delivery in journal segment %016llx: %s (it may be sent again)",
                seg->seq, strerror(errno));
}

/* Remove seg from the list and the disk: every record in it is served.
 * Not flushed: a segment that comes back at a power cut is read again and
 * found served, or sends again what its lost done log did not say. */
static void drop_segment(struct journal *j, struct jseg *seg)
{
    char path[SPOOL_PATH_MAX];
    for (struct jseg **at = &j->segs; *at; at = &(*at)->next)
        if (*at == seg) {
            *at = seg->next;
            break;
        }
    if (spool_segment_path(path, sizeof path, j->conf->spool, seg->seq, 0) == 0)
        unlink(path);
    if (spool_segment_path(path, sizeof path, j->conf->spool, seg->seq, 1) == 0)
        unlink(path);
    close(seg->fd);
    if (seg->done_fd >= 0)
        close(seg->done_fd);
    free(seg);
}

void journal_drop_if_served(struct journal *j, struct jseg *seg)
{
    if (seg != j->active && !seg->unresolved && !seg->stuck && !seg->dirty)
        drop_segment(j, seg);
}

/* A new segment after the youngest, its name made durable (one fsync of
 * the folder) before anything in it is acknowledged. Lock held. */
static int new_segment(struct journal *j, char *why, size_t whycap)
{
    unsigned long long seq = 1;
    for (struct jseg *s = j->segs; s; s = s->next)
        seq = s->seq + 1;
    char path[SPOOL_PATH_MAX];
    int fd = -1;
    if (spool_segment_path(path, sizeof path, j->conf->spool, seq, 0) < 0 ||
        (fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640)) < 0 || fsync(j->dirfd) < 0) {
        snprintf(why, whycap, "cannot start journal segment %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    (*j->fsyncs)++;
    struct jseg *seg = journal_add_segment(j, seq, fd, 0);
    if (!seg) {
        snprintf(why, whycap, "out of memory");
        close(fd);
        return -1;
    }
    struct jseg *old = j->active;
    j->active = seg;
    if (old)
        journal_drop_if_served(j, old);
    return 0;
}

int journal_open(struct journal *j, const struct mux_conf *c, atomic_ullong *fsyncs, char *err, size_t cap)
{
    char path[SPOOL_PATH_MAX];
    memset(j, 0, sizeof *j);
    j->conf = c;
    j->fsyncs = fsyncs;
    j->buckets = calloc(BUCKETS, sizeof *j->buckets);
    spool_dir_path(path, sizeof path, c->spool, SPOOL_JOURNAL, NULL);
    if (!j->buckets || (j->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf(err, cap, "MUX_SPOOL=%s: cannot open %s: %s", c->spool, path, strerror(errno));
        return -1;
    }
    pthread_mutex_init(&j->lock, NULL);
    if (journal_replay(j, err, cap) < 0 || new_segment(j, err, cap) < 0)
        return -1;
    return 0;
}

void journal_close(struct journal *j)
{
    for (unsigned b = 0; j->buckets && b < BUCKETS; b++)
        for (struct jrec *r = j->buckets[b], *next; r; r = next) {
            next = r->next;
            free(r);
        }
    free(j->buckets);
    while (j->segs) {
        struct jseg *s = j->segs;
        j->segs = s->next;
        close(s->fd);
        if (s->done_fd >= 0)
            close(s->done_fd);
        free(s);
    }
    close(j->dirfd);
    pthread_mutex_destroy(&j->lock);
}

/* Write the header and the instance at the end of the active segment;
 * a failed write is cut off again. Lock held. */
static int write_record(struct jseg *seg, const uint8_t *head, size_t hlen, const void *data, size_t len)
{
    struct iovec iov[2] = {{(void *)head, hlen}, {(void *)data, len}};
    uint64_t at = seg->size, end = at + hlen + len;
    int i = 0;
    while (at < end) {
        ssize_t n = pwritev(seg->fd, iov + i, 2 - i, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            if (ftruncate(seg->fd, (off_t)seg->size) < 0) /* what is left is torn: replay drops it */
                log_msg(LOG_WARN, NULL, "cannot cut a failed record off journal segment %016llx", seg->seq);
            errno = e;
            return -1;
        }
        at += (uint64_t)n;
        while (i < 2 && (size_t)n >= iov[i].iov_len)
            n -= (ssize_t)iov[i++].iov_len;
        if (i < 2) {
            iov[i].iov_base = (uint8_t *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
    seg->size = end;
    seg->dirty = 1;
    return 0;
}

/* The head of a record for name: its destinations' names, comma-separated,
 * and the pending bits. */
static size_t make_head(const struct mux_conf *c, const char *name, const int *wanted, const char *ts,
                        const void *data, size_t len, uint8_t *head, struct jrec_head *h, uint32_t *pending)
{
    *h = (struct jrec_head){.data_len = len, .data_crc = jrec_crc(0, data, len)};
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->ts, sizeof h->ts, "%s", ts);
    size_t at = 0;
    *pending = 0;
    for (unsigned i = 0; i < c->ndests; i++)
        if (wanted[i]) {
            at += (size_t)snprintf(h->dests + at, sizeof h->dests - at, "%s%s", at ? "," : "", c->dests[i].peer.name);
            *pending |= 1u << i;
        }
    return jrec_encode(h, head);
}

int journal_append(struct journal *j, const char *name, const int *wanted, const char *ts, const void *data,
                   size_t len, char *why, size_t whycap)
{
    uint8_t head[JREC_HEAD_MAX];
    struct jrec_head h;
    uint32_t pending;
    size_t hlen = make_head(j->conf, name, wanted, ts, data, len, head, &h, &pending);
    if (!hlen) {
        snprintf(why, whycap, "journal record for %s too long", name);
        return -1;
    }
    pthread_mutex_lock(&j->lock);
    int rc = 0;
    if (j->active->size && j->active->size + hlen + len > JOURNAL_SEGMENT_MAX)
        rc = new_segment(j, why, whycap);
    uint64_t off = j->active->size;
    if (rc == 0 && write_record(j->active, head, hlen, data, len) < 0) {
        snprintf(why, whycap, "cannot write journal segment %016llx: %s", j->active->seq, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && journal_add_record(j, j->active, off, off + hlen, &h, pending, 0) < 0) {
        snprintf(why, whycap, "out of memory");
        rc = -1; /* durable at the next sync all the same: only sent again, after a restart */
    }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

/* Up to max dirty segments' descriptors (dups: a segment may be served
 * and dropped while it is flushed), marked clean. */
static size_t take_dirty(struct journal *j, int *fds, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&j->lock);
    for (struct jseg *s = j->segs; s && n < max; s = s->next)
        if (s->dirty) {
            if ((fds[n] = dup(s->fd)) < 0)
                die_sys(111, "cannot flush journal segment %016llx", s->seq);
            n++;
            s->dirty = 0;
        }
    pthread_mutex_unlock(&j->lock);
    return n;
}

void journal_sync(struct journal *j)
{
    int fds[4];
    size_t n;
    do { /* more than 4 dirty is rare (a rotation makes 2): another round */
        n = take_dirty(j, fds, 4);
        for (size_t i = 0; i < n; i++) {
            if (fdatasync(fds[i]) < 0)
                die_sys(111, "fdatasync of a journal segment failed: nothing more is acknowledged; "
                             "the journal is replayed at the next start");
            close(fds[i]);
        }
        *j->fsyncs += n;
    } while (n == 4);
}

struct jrec **journal_slot(struct journal *j, const char *name)
{
    struct jrec **at = &j->buckets[bucket(name)];
    while (*at && strcmp((*at)->name, name))
        at = &(*at)->next;
    return at;
}

void journal_resolve(struct journal *j, unsigned dest, const char *name)
{
    pthread_mutex_lock(&j->lock);
    struct jrec **at = journal_slot(j, name), *r = *at;
    if (r && (r->pending & (1u << dest))) {
        journal_log_done(j, r->seg, r->off, j->conf->dests[dest].peer.name);
        r->pending &= ~(1u << dest);
        if (!r->pending) {
            struct jseg *seg = r->seg;
            *at = r->next;
            free(r);
            seg->unresolved--;
            journal_drop_if_served(j, seg);
        }
    }
    pthread_mutex_unlock(&j->lock);
}
