/* journal_replay.c: journal_replay (see journal.h): at start, before any
 * thread, every segment is read back. A record's destinations that its
 * done log does not name still wait: their queue files, missing after a
 * crash (they were never flushed), are made again from the journal; one
 * found among the dead letters was served. */
#include "journal.h"

#include "array.h"
#include "spool.h"
#include "fdio.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct done_line {
    uint64_t off;
    char dest[32];
};

struct done_set {
    struct done_line *v;
    size_t n, cap;
};

struct replay_stats {
    size_t segments, records, remade, torn;
    char **queued[MUX_MAX_DESTS]; /* each destination's queue folder, sorted */
    size_t nqueued[MUX_MAX_DESTS];
};

static int by_line(const void *a, const void *b)
{
    const struct done_line *x = a, *y = b;
    return x->off != y->off ? (x->off < y->off ? -1 : 1) : strcmp(x->dest, y->dest);
}

/* The segment's done log, sorted; a torn last line is left out. */
static void read_done(const char *root, unsigned long long seq, struct done_set *d)
{
    char path[SPOOL_PATH_MAX], line[128];
    memset(d, 0, sizeof *d);
    FILE *f = spool_segment_path(path, sizeof path, root, seq, 1) == 0 ? fopen(path, "re") : NULL;
    while (f && fgets(line, sizeof line, f)) {
        struct done_line l;
        unsigned long long off;
        if (!strchr(line, '\n') || sscanf(line, "%llx %31s", &off, l.dest) != 2)
            continue;
        l.off = off;
        struct done_line *grown = array_grow(d->v, &d->cap, d->n + 1, sizeof *grown, 256);
        if (!grown)
            break; /* out of memory: those not noted are sent again */
        d->v = grown;
        d->v[d->n++] = l;
    }
    if (f)
        fclose(f);
    if (d->n)
        qsort(d->v, d->n, sizeof *d->v, by_line);
}

static int is_done(const struct done_set *d, uint64_t off, const char *dest)
{
    struct done_line key = {.off = off};
    snprintf(key.dest, sizeof key.dest, "%s", dest);
    return d->n && bsearch(&key, d->v, d->n, sizeof *d->v, by_line) != NULL;
}

/* The record's header at off: 1, 0 at the segment's end, -1 when it is
 * torn (cut short, or not a record's). */
static int read_head(int fd, uint64_t off, uint64_t size, struct jrec_head *h, size_t *hlen)
{
    uint8_t buf[JREC_HEAD_MAX];
    if (off == size)
        return 0;
    size_t want = size - off < JREC_HEAD_MAX ? (size_t)(size - off) : JREC_HEAD_MAX;
    ssize_t n = pread(fd, buf, want, (off_t)off);
    if (n < JREC_FIXED)
        return -1;
    size_t len = jrec_head_len(buf);
    if (!len || len > (size_t)n || jrec_decode(buf, len, h) < 0 || h->data_len > size - off - len)
        return -1;
    *hlen = len;
    return 1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Destination i's copy of name: 1 in its queue (whether its data
 * survived a crash is checked before it is sent: spool_check), 0 to be
 * made again, -1 among the dead letters (served). One listing of the
 * folder, not a stat a record: 100,000 waiting records replay in well
 * under a second. */
static int queue_state(const struct mux_conf *c, const struct replay_stats *st, unsigned i, const char *name)
{
    char path[SPOOL_PATH_MAX];
    const char *key = name;
    struct stat sb;
    if (st->nqueued[i] && bsearch(&key, st->queued[i], st->nqueued[i], sizeof *st->queued[i], by_name))
        return 1;
    if (spool_entry_path(path, sizeof path, c->spool, SPOOL_DEAD, c->dests[i].peer.name, name) < 0 ||
        lstat(path, &sb) == 0)
        return -1;
    return 0;
}

/* Write the instance once into tmp/ and link it into the queue of each
 * destination in mask (not flushed: the journal is the durable copy). */
static int remake(const struct mux_conf *c, const char *name, const uint8_t *data, size_t len, uint32_t mask)
{
    char tmp[SPOOL_PATH_MAX], to[SPOOL_PATH_MAX];
    int fd = -1, rc = 0;
    if (spool_entry_path(tmp, sizeof tmp, c->spool, SPOOL_TMP, NULL, name) < 0 ||
        (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640)) < 0 ||
        fd_write_all(fd, data, len) < 0)
        rc = -1;
    if (fd >= 0)
        close(fd);
    for (unsigned i = 0; rc == 0 && i < c->ndests; i++)
        if ((mask & (1u << i)) &&
            (spool_entry_path(to, sizeof to, c->spool, SPOOL_QUEUE, c->dests[i].peer.name, name) < 0 ||
             link(tmp, to) < 0))
            rc = -1;
    if (rc < 0)
        log_msg(LOG_ERROR, NULL, "cannot make the queue file of %s again from the journal: %s", name, strerror(errno));
    if (fd >= 0)
        unlink(tmp);
    return rc;
}

/* The destinations of the record at off that still wait (bits), their
 * queue files made again where a crash lost them; *found: those whose
 * queue file was there already (journal_check reads them before sending). */
static uint32_t replay_record(struct journal *j, struct jseg *seg, uint64_t data_at, uint64_t off,
                              const struct jrec_head *h, const struct done_set *done, struct replay_stats *st,
                              uint32_t *found)
{
    char dests[JREC_DESTS_MAX], *save = NULL;
    uint32_t pending = 0, missing = 0;
    snprintf(dests, sizeof dests, "%s", h->dests);
    for (char *d = strtok_r(dests, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        int i = journal_dest_index(j->conf, d);
        if (is_done(done, off, d))
            continue;
        if (i < 0) {
            if (!seg->stuck)
                log_msg(LOG_WARN, NULL, "journal segment %016llx holds instances for destination '%s', which is "
                        "not configured: kept until it is", seg->seq, d);
            seg->stuck = 1;
            continue;
        }
        int state = queue_state(j->conf, st, (unsigned)i, h->name);
        if (state < 0)
            journal_log_done(j, seg, off, d);
        else
            pending |= 1u << i, missing |= state == 0 ? 1u << i : 0;
    }
    *found = pending & ~missing;
    if (!missing)
        return pending;
    uint8_t *data = jrec_read_data(seg->fd, data_at, h->data_len, h->data_crc);
    if (!data) {
        log_msg(LOG_ERROR, NULL, "journal segment %016llx: the record of %s at offset %llu does not check: it "
                "cannot be sent", seg->seq, h->name, (unsigned long long)off);
        return 0;
    }
    if (remake(j->conf, h->name, data, h->data_len, missing) == 0)
        st->remade++;
    free(data);
    return pending;
}

static void log_torn(const struct jseg *seg, uint64_t off, struct replay_stats *st)
{
    st->torn++;
    log_msg(LOG_WARN, NULL, "journal segment %016llx: the record at offset %llu is torn (cut by a crash while it "
            "was written, so never acknowledged): dropped", seg->seq, (unsigned long long)off);
}

/* Every record of segment seq, in order, up to a torn one (what follows
 * a torn record was appended after it: never acknowledged either). The
 * last record's instance is checked too: a crash tears the tail. */
static int replay_segment(struct journal *j, unsigned long long seq, struct replay_stats *st)
{
    char path[SPOOL_PATH_MAX];
    struct stat sb;
    int fd = spool_segment_path(path, sizeof path, j->conf->spool, seq, 0) == 0
                 ? open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
    struct jseg *seg = fd >= 0 && fstat(fd, &sb) == 0 ? journal_add_segment(j, seq, fd, (uint64_t)sb.st_size) : NULL;
    if (!seg) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct done_set done;
    read_done(j->conf->spool, seq, &done);
    struct jrec_head h;
    size_t hlen;
    int r;
    for (uint64_t off = 0; (r = read_head(fd, off, seg->size, &h, &hlen)) != 0;) {
        uint64_t next = r > 0 ? off + hlen + h.data_len : seg->size;
        uint8_t *tail = r > 0 && next == seg->size ? jrec_read_data(fd, off + hlen, h.data_len, h.data_crc) : NULL;
        if (r < 0 || (next == seg->size && !tail)) {
            log_torn(seg, off, st);
            break;
        }
        free(tail);
        uint32_t found = 0, pending = replay_record(j, seg, off + hlen, off, &h, &done, st, &found);
        if (pending && journal_add_record(j, seg, off, off + hlen, &h, pending, found) < 0) {
            free(done.v);
            return -1;
        }
        st->records += pending != 0;
        off = next;
    }
    free(done.v);
    st->segments++;
    journal_drop_if_served(j, seg);
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* The segments' sequence numbers, oldest first; how many, or -1. */
static long list_segments(struct journal *j, unsigned long long **seqs)
{
    int fd = dup(j->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    size_t n = 0, cap = 0;
    *seqs = NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct dirent *de;
    unsigned long long seq;
    while ((de = readdir(d)) != NULL)
        if (spool_is_segment(de->d_name, &seq)) {
            unsigned long long *grown = array_grow(*seqs, &cap, n + 1, sizeof *grown, 64);
            if (!grown) {
                closedir(d);
                return -1;
            }
            *seqs = grown;
            (*seqs)[n++] = seq;
        }
    closedir(d);
    if (n)
        qsort(*seqs, n, sizeof **seqs, by_seq);
    return (long)n;
}

static void free_listings(const struct mux_conf *c, struct replay_stats *st)
{
    for (unsigned i = 0; i < c->ndests; i++) {
        for (size_t k = 0; k < st->nqueued[i]; k++)
            free(st->queued[i][k]);
        free(st->queued[i]);
    }
}

int journal_replay(struct journal *j, char *err, size_t cap)
{
    unsigned long long *seqs;
    struct replay_stats st = {0};
    long n = list_segments(j, &seqs);
    for (unsigned i = 0; n > 0 && i < j->conf->ndests; i++)
        st.nqueued[i] = spool_list(j->conf->spool, SPOOL_QUEUE, j->conf->dests[i].peer.name, &st.queued[i]);
    int rc = 0;
    for (long i = 0; rc == 0 && i < n; i++)
        if ((rc = replay_segment(j, seqs[i], &st)) < 0)
            snprintf(err, cap, "MUX_SPOOL=%s: cannot read journal segment %016llx: %s", j->conf->spool, seqs[i],
                     strerror(errno));
    free(seqs);
    free_listings(j->conf, &st);
    if (rc < 0)
        return -1;
    if (n < 0) {
        snprintf(err, cap, "MUX_SPOOL=%s: cannot list the journal: %s", j->conf->spool, strerror(errno));
        return -1;
    }
    if (st.segments)
        log_msg(LOG_INFO, NULL, "journal: %zu segment(s) read, %zu instance(s) still to deliver, %zu queue file(s) "
                "made again, %zu torn record(s) dropped", st.segments, st.records, st.remade, st.torn);
    return 0;
}
