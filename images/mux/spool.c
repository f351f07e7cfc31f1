/* spool.c: the durable spool (see spool.h). */
#include "spool.h"

#include "array.h"
#include "atomicfile.h"
#include "clock.h"
#include "fdio.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int spool_sync_dir(const char *root, enum spool_area area, const char *dest)
{
    char path[SPOOL_PATH_MAX];
    return spool_dir_path(path, sizeof path, root, area, dest) < 0 ? -1 : fsync_path(path, O_DIRECTORY);
}

/* mkdir, and when that made the folder, fsync the folder it is in: a new
 * folder's name is durable only then, and with it everything it will
 * hold (a power cut after the first start must not lose the queues). */
static int make_durable_dir(char *path, atomic_ullong *flushes)
{
    if (mkdir(path, 0750) < 0)
        return errno == EEXIST ? 0 : -1;
    (*flushes)++;
    char *slash = strrchr(path, '/');
    if (!slash)
        return fsync_path(".", O_DIRECTORY);
    if (slash == path)
        return fsync_path("/", O_DIRECTORY);
    *slash = '\0';
    int rc = fsync_path(path, O_DIRECTORY);
    *slash = '/';
    return rc;
}

/* The folder at path and any missing folder above it, each made durable. */
static int mkdirs(const char *path, atomic_ullong *flushes)
{
    char buf[SPOOL_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (make_durable_dir(buf, flushes) < 0)
                return -1;
            *p = '/';
        }
    return make_durable_dir(buf, flushes);
}

/* Never acknowledged: whatever tmp/ holds from before a crash goes. */
static void clean_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    struct dirent *de;
    unsigned n = 0;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && unlinkat(dirfd(d), de->d_name, 0) == 0)
            n++;
    closedir(d);
    if (n)
        log_msg(LOG_INFO, NULL, "removed %u unacknowledged partial file(s) from %s", n, tmp);
}

/* A commit with other senders about waits, GATHER_MS at most, until each
 * of them has an instance in it: one flush then serves them all (as
 * PostgreSQL's commit_delay and commit_siblings). A lone sender never
 * waits. A sender is about when its association stored an instance in
 * the last SENDER_RECENT_MS. */
#define GATHER_MS 10
#define SENDER_RECENT_MS 1000

/* This thread's slot in seen_ms (each association has its own thread). */
static unsigned sender_slot(struct spool *s)
{
    static _Thread_local int slot = -1;
    if (slot < 0)
        slot = (int)(atomic_fetch_add(&s->next_slot, 1) % SPOOL_SENDER_SLOTS);
    return (unsigned)slot;
}

/* Senders about now (at least this one). Lock held. */
static unsigned long long senders_about(const struct spool *s, unsigned long long now)
{
    unsigned long long n = 0;
    for (unsigned i = 0; i < SPOOL_SENDER_SLOTS; i++)
        n += s->seen_ms[i] && s->seen_ms[i] + SENDER_RECENT_MS >= now;
    return n ? n : 1;
}

/* Wait until every sender about has an instance waiting for this commit,
 * GATHER_MS at most. Lock held. */
static void gather(struct spool *s)
{
    unsigned long long now = clock_mono_ms(), want = senders_about(s, now);
    if (want < 2)
        return;
    struct timespec ts = clock_timespec(now + GATHER_MS);
    while (s->requested - s->committed < want && pthread_cond_timedwait(&s->appended, &s->lock, &ts) == 0)
        ;
}

/* The group commit, leader and followers: a receiving thread that finds
 * no commit running gathers the other senders' records (see gather),
 * then flushes the journal (one fdatasync covers its own record and every one appended
 * meanwhile on other associations); the others wait for a commit that
 * covers them. No thread hand-off on the common path. The record was
 * appended before the ticket was taken. */
static void commit_wait(struct spool *s)
{
    pthread_mutex_lock(&s->lock);
    s->seen_ms[sender_slot(s)] = clock_mono_ms();
    unsigned long long mine = ++s->requested;
    pthread_cond_broadcast(&s->appended); /* a leader may be gathering */
    while (s->committed < mine) {
        if (s->committing) {
            pthread_cond_wait(&s->done, &s->lock);
            continue;
        }
        s->committing = 1;
        gather(s);
        unsigned long long target = s->requested;
        pthread_mutex_unlock(&s->lock);
        journal_sync(&s->journal);
        s->syncs++;
        pthread_mutex_lock(&s->lock);
        s->committed = target;
        s->committing = 0;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Create one folder of the spool. */
static int make_dir(struct spool *s, enum spool_area area, const char *dest, char *err, size_t cap)
{
    const struct mux_conf *c = s->conf;
    char path[SPOOL_PATH_MAX];
    if (spool_dir_path(path, sizeof path, c->spool, area, dest) < 0 || mkdirs(path, &s->fsyncs) < 0) {
        snprintf(err, cap, "MUX_SPOOL=%s: cannot create %s: %s", c->spool, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Every folder: tmp/, journal/, and queue/ and dead/ of each destination. */
static int make_dirs(struct spool *s, char *err, size_t cap)
{
    const struct mux_conf *c = s->conf;
    for (unsigned i = 0; i < c->ndests; i++)
        if (make_dir(s, SPOOL_QUEUE, c->dests[i].peer.name, err, cap) < 0 ||
            make_dir(s, SPOOL_DEAD, c->dests[i].peer.name, err, cap) < 0)
            return -1;
    return make_dir(s, SPOOL_TMP, NULL, err, cap) < 0 ? -1 : make_dir(s, SPOOL_JOURNAL, NULL, err, cap);
}

static int open_dir(const char *root, const char *path, int *fd, char *err, size_t cap)
{
    if ((*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf(err, cap, "MUX_SPOOL=%s: cannot open %s: %s", root, path, strerror(errno));
        return -1;
    }
    return 0;
}

int spool_open(struct spool *s, const struct mux_conf *c, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->conf = c;
    char path[SPOOL_PATH_MAX];
    if (make_dirs(s, err, cap) < 0)
        return -1;
    spool_dir_path(path, sizeof path, c->spool, SPOOL_TMP, NULL); /* fits: made above */
    clean_tmp(path);
    if (open_dir(c->spool, c->spool, &s->fd, err, cap) < 0 || journal_open(&s->journal, c, &s->fsyncs, err, cap) < 0)
        return -1;
    pthread_condattr_t attr; /* timed waits on the monotonic clock */
    if (pthread_condattr_init(&attr) != 0 || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&s->appended, &attr) != 0) {
        snprintf(err, cap, "cannot set up the group commit: out of resources");
        return -1;
    }
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->done, NULL);
    return 0;
}

void spool_close(struct spool *s)
{
    close(s->fd);
    journal_close(&s->journal);
    pthread_cond_destroy(&s->done);
    pthread_cond_destroy(&s->appended);
    pthread_mutex_destroy(&s->lock);
}

int spool_path(const struct spool *s, const char *dest, const char *name, char *buf, size_t cap)
{
    return spool_entry_path(buf, cap, s->conf->spool, SPOOL_QUEUE, dest, name);
}

/* Create the temporary file of a new entry, naming it in name and tmp:
 * never through a link planted at that path and never over a file there
 * (O_NOFOLLOW, O_EXCL); a name taken makes the next sequence number's.
 * The descriptor, or -1 with why. */
static int create_tmp(struct spool *s, const char *sop_uid, char *name, size_t cap, char *tmp, char *why,
                      size_t whycap)
{
    for (int tries = 0; tries < 3; tries++) {
        spool_entry_name(name, cap, clock_wall_ms(), ++s->seq, sop_uid);
        if (spool_entry_path(tmp, SPOOL_PATH_MAX, s->conf->spool, SPOOL_TMP, NULL, name) < 0) {
            snprintf(why, whycap, "spool path too long for %s", name);
            return -1;
        }
        int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (fd >= 0)
            return fd;
        snprintf(why, whycap, "cannot create %s: %s", tmp, strerror(errno));
        if (errno != EEXIST)
            return -1;
        log_msg(LOG_WARN, NULL, "%s is there already: neither followed nor replaced, another name taken", tmp);
    }
    return -1;
}

/* Write ds into the open file fd, in the transfer syntax it arrived in:
 * 0x0000, or a failure status with why. DCMTK opens files by name, and
 * /proc/self/fd/N names this very file whatever lies at its path now, so
 * nothing planted there is followed, and the instance is not copied in
 * memory on its way (as encoding it into a buffer would, twice). */
static uint16_t write_fd(cirr_dicom_dataset *ds, const char *ts_uid, int fd, char *why, size_t whycap)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    cirr_dicom_status st = cirr_dicom_dataset_write(ds, path, ts_uid);
    if (st == CIRR_DICOM_OK)
        return 0x0000;
    if (st == CIRR_DICOM_ERROR_TRANSCODE) {
        snprintf(why, whycap, "%s", cirr_dicom_last_error());
        return 0xA900;
    }
    snprintf(why, whycap, "cannot write the spool: %s", cirr_dicom_last_error());
    return 0xA700;
}

/* Link tmp into the queue of every wanted destination, or into none. */
static int link_queues(struct spool *s, const char *tmp, const char *name, const int *wanted, char *why,
                       size_t whycap)
{
    char link_path[SPOOL_PATH_MAX];
    for (unsigned i = 0; i < s->conf->ndests; i++) {
        if (!wanted[i])
            continue;
        const char *dest = s->conf->dests[i].peer.name;
        if (spool_path(s, dest, name, link_path, sizeof link_path) < 0 || link(tmp, link_path) < 0) {
            snprintf(why, whycap, "cannot queue for %s: %s", dest, strerror(errno));
            for (unsigned j = 0; j < i; j++) /* undo: nothing half-queued */
                if (wanted[j] && spool_path(s, s->conf->dests[j].peer.name, name, link_path, sizeof link_path) == 0)
                    unlink(link_path);
            return -1;
        }
    }
    return 0;
}

/* The len bytes of the file fd (malloc'd), or NULL. */
static uint8_t *read_back(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return NULL;
    *len = (size_t)st.st_size;
    uint8_t *buf = malloc(*len ? *len : 1);
    size_t got = 0;
    while (buf && got < *len) {
        ssize_t n = pread(fd, buf + got, *len - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

/* Append the instance in file fd to the journal: 0x0000, or 0xA700 with why. */
static uint16_t journal_instance(struct spool *s, int fd, const char *name, const int *wanted, const char *ts_uid,
                                 char *why, size_t whycap)
{
    size_t len;
    uint8_t *data = read_back(fd, &len);
    if (!data) {
        snprintf(why, whycap, "cannot read the spool file back: %s", strerror(errno));
        return 0xA700;
    }
    int rc = journal_append(&s->journal, name, wanted, ts_uid, data, len, why, whycap);
    free(data);
    return rc < 0 ? 0xA700 : 0x0000;
}

uint16_t spool_accept(struct spool *s, cirr_dicom_dataset *ds, const char *ts_uid, const char *sop_uid,
                      const int *wanted, char *name, size_t cap, char *why, size_t whycap)
{
    char tmp[SPOOL_PATH_MAX];
    int fd = create_tmp(s, sop_uid, name, cap, tmp, why, whycap);
    uint16_t status = fd < 0 ? 0xA700 : write_fd(ds, ts_uid, fd, why, whycap);
    if (status == 0x0000)
        status = journal_instance(s, fd, name, wanted, ts_uid, why, whycap);
    if (fd >= 0)
        close(fd);
    if (status != 0x0000) {
        if (fd >= 0)
            unlink(tmp);
        return status;
    }
    commit_wait(s); /* the record is on disk now */
    if (link_queues(s, tmp, name, wanted, why, whycap) < 0) /* the journal has it: made again at the next start */
        log_msg(LOG_ERROR, NULL, "%s: %s; it is sent after a restart", name, why);
    unlink(tmp);
    return 0x0000;
}

unsigned long long spool_free_bytes(const struct spool *s)
{
    struct statvfs v;
    if (fstatvfs(s->fd, &v) < 0)
        return 0;
    return (unsigned long long)v.f_bavail * v.f_frsize;
}

void spool_check(struct spool *s, const char *dest, const char *name, const char *path)
{
    int i = journal_dest_index(s->conf, dest), rc = i < 0 ? 0 : journal_check(&s->journal, (unsigned)i, name, path);
    if (rc > 0)
        log_msg(LOG_WARN, dest, "%s did not match its journal record (a crash kept its name, not its data): "
                "made again from the journal", name);
    else if (rc < 0)
        log_msg(LOG_ERROR, dest, "%s matches neither its queue file nor its journal record", name);
}

void spool_done(struct spool *s, const char *dest, const char *name)
{
    char path[SPOOL_PATH_MAX];
    if (spool_path(s, dest, name, path, sizeof path) == 0)
        unlink(path); /* a repeat after a crash only re-sends: delivery is at-least-once */
    int i = journal_dest_index(s->conf, dest);
    if (i >= 0)
        journal_resolve(&s->journal, (unsigned)i, name);
}

int spool_dead(struct spool *s, const char *dest, const char *name, const char *reason)
{
    const char *root = s->conf->spool;
    char from[SPOOL_PATH_MAX], to[SPOOL_PATH_MAX], why[SPOOL_PATH_MAX], text[600];
    if (spool_path(s, dest, name, from, sizeof from) < 0 ||
        spool_entry_path(to, sizeof to, root, SPOOL_DEAD, dest, name) < 0 ||
        spool_reason_path(why, sizeof why, root, dest, name) < 0)
        return -1;
    log_escape(text, sizeof text - 1, reason); /* one line, whatever a peer said */
    size_t n = strlen(text);
    text[n++] = '\n';
    /* the reason and the file's data (queue files are not flushed when
     * made) are durable first; the entry's new name once dead/DEST is
     * fsynced; only then is it served in the journal */
    if (fsync_path(from, O_NOFOLLOW) < 0 || atomicfile_write(why, text, n, 0640, (uid_t)-1, (gid_t)-1) < 0 ||
        rename(from, to) < 0 || spool_sync_dir(root, SPOOL_DEAD, dest) < 0)
        return -1;
    s->fsyncs += 4; /* atomicfile_write: the reason and its folder */
    int i = journal_dest_index(s->conf, dest);
    if (i >= 0)
        journal_resolve(&s->journal, (unsigned)i, name);
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

size_t spool_list(const char *root, enum spool_area area, const char *dest, char ***names)
{
    char path[SPOOL_PATH_MAX];
    *names = NULL;
    DIR *d = spool_dir_path(path, sizeof path, root, area, dest) == 0 ? opendir(path) : NULL;
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!spool_is_entry(de->d_name))
            continue;
        char **grown = array_grow(*names, &cap, n + 1, sizeof *grown, 256);
        char *copy = grown ? strdup(de->d_name) : NULL;
        if (grown)
            *names = grown;
        if (!copy)
            break;
        (*names)[n++] = copy;
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof **names, by_name);
    return n;
}

unsigned long long spool_bytes(const struct spool *s)
{
    unsigned long long total = 0;
    for (unsigned i = 0; i < s->conf->ndests; i++) {
        const char *dest = s->conf->dests[i].peer.name;
        char **names;
        size_t n = spool_list(s->conf->spool, SPOOL_QUEUE, dest, &names);
        for (size_t k = 0; k < n; k++) {
            char path[SPOOL_PATH_MAX];
            struct stat st;
            /* a file linked into several queues counts once: by its share */
            if (spool_path(s, dest, names[k], path, sizeof path) == 0 && stat(path, &st) == 0 && st.st_nlink > 0)
                total += (unsigned long long)st.st_size / st.st_nlink;
            free(names[k]);
        }
        free(names);
    }
    return total;
}
