/* spool.c: the durable spool (see spool.h). */
#include "spool.h"

#include "atomicfile.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

static int mkdirs(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0750) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0750) < 0 && errno != EEXIST ? -1 : 0;
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

/* One commit: fsync the files, then every queue folder once (their new
 * links). Only the spool's own data is flushed: other writers on the same
 * file system do not slow it down, as they would with syncfs. */
static void commit(struct spool *s, int *files, size_t n)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed |= fsync(files[i]) < 0;
        close(files[i]);
    }
    for (unsigned d = 0; d < s->conf->ndests; d++)
        failed |= fsync(s->queue_fds[d]) < 0;
    if (failed)
        log_msg(LOG_ERROR, NULL, "fsync in the spool failed: %s", strerror(errno));
    s->fsyncs += n + s->conf->ndests;
    s->syncs++;
}

/* The group commit, leader and followers: a receiving thread that finds
 * no commit running commits everything pending (its own file and any
 * that arrived meanwhile on other associations); the others wait for a
 * commit that covers them. No thread hand-off on the common path. */
static void commit_wait(struct spool *s, int fd)
{
    pthread_mutex_lock(&s->lock);
    if (s->npending == s->cappending) {
        size_t cap = s->cappending ? s->cappending * 2 : 64;
        int *grown = realloc(s->pending, cap * sizeof *grown);
        if (grown) {
            s->pending = grown;
            s->cappending = cap;
        }
    }
    if (s->npending < s->cappending) {
        s->pending[s->npending++] = fd;
    } else { /* out of memory: this file alone, here */
        fsync(fd);
        close(fd);
    }
    unsigned long long mine = ++s->requested;
    while (s->committed < mine) {
        if (s->committing) {
            pthread_cond_wait(&s->done, &s->lock);
            continue;
        }
        s->committing = 1;
        unsigned long long target = s->requested;
        int *files = s->pending;
        size_t n = s->npending;
        s->pending = NULL;
        s->npending = s->cappending = 0;
        pthread_mutex_unlock(&s->lock);
        commit(s, files, n);
        free(files);
        pthread_mutex_lock(&s->lock);
        s->committed = target;
        s->committing = 0;
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->lock);
}

int spool_open(struct spool *s, const struct mux_conf *c, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->conf = c;
    char path[512];
    for (unsigned i = 0; i <= c->ndests; i++) {
        for (int dead = 0; dead < 2; dead++) {
            if (i == c->ndests)
                snprintf(path, sizeof path, "%s/tmp", c->spool);
            else
                snprintf(path, sizeof path, "%s/%s/%s", c->spool, dead ? "dead" : "queue", c->dests[i].name);
            if (mkdirs(path) < 0) {
                snprintf(err, cap, "MUX_SPOOL=%s: cannot create %s: %s", c->spool, path, strerror(errno));
                return -1;
            }
        }
    }
    snprintf(path, sizeof path, "%s/tmp", c->spool);
    clean_tmp(path);
    for (unsigned i = 0; i < c->ndests; i++) {
        snprintf(path, sizeof path, "%s/queue/%s", c->spool, c->dests[i].name);
        if ((s->queue_fds[i] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            snprintf(err, cap, "MUX_SPOOL=%s: cannot open %s: %s", c->spool, path, strerror(errno));
            return -1;
        }
    }
    s->fd = open(c->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->fd < 0) {
        snprintf(err, cap, "MUX_SPOOL=%s: %s", c->spool, strerror(errno));
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->done, NULL);
    return 0;
}

void spool_close(struct spool *s)
{
    close(s->fd);
    for (unsigned i = 0; i < s->conf->ndests; i++)
        close(s->queue_fds[i]);
    free(s->pending);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->lock);
}

static unsigned long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (unsigned long long)tv.tv_sec * 1000 + (unsigned long long)tv.tv_usec / 1000;
}

unsigned long long spool_received_ms(const char *name) { return strtoull(name, NULL, 10); }

void spool_path(const struct spool *s, const char *dest, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/queue/%s/%s", s->conf->spool, dest, name);
}

uint16_t spool_accept(struct spool *s, cirr_dicom_dataset *ds, const char *ts_uid, const int *wanted,
                      char *name, size_t cap, char *why, size_t whycap)
{
    char sop[72] = "x", tmp[512], link_path[512];
    cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, sop, sizeof sop);
    for (char *p = sop; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(name, cap, "%013llu-%06llu-%.64s.dcm", now_ms(), (unsigned long long)(++s->seq % 1000000), sop);
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", s->conf->spool, name);
    /* The instance keeps the transfer syntax it arrived in. */
    cirr_dicom_status st = cirr_dicom_dataset_write(ds, tmp, ts_uid);
    if (st == CIRR_DICOM_ERROR_TRANSCODE) {
        unlink(tmp);
        snprintf(why, whycap, "%s", cirr_dicom_last_error());
        return 0xA900;
    }
    if (st != CIRR_DICOM_OK) {
        unlink(tmp);
        snprintf(why, whycap, "cannot write the spool: %s", cirr_dicom_last_error());
        return 0xA700;
    }
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whycap, "cannot reopen %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return 0xA700;
    }
    for (unsigned i = 0; i < s->conf->ndests; i++) {
        if (!wanted[i])
            continue;
        spool_path(s, s->conf->dests[i].name, name, link_path, sizeof link_path);
        if (link(tmp, link_path) < 0) {
            snprintf(why, whycap, "cannot queue for %s: %s", s->conf->dests[i].name, strerror(errno));
            for (unsigned j = 0; j < i; j++) /* undo: nothing half-queued */
                if (wanted[j]) {
                    spool_path(s, s->conf->dests[j].name, name, link_path, sizeof link_path);
                    unlink(link_path);
                }
            unlink(tmp);
            close(fd);
            return 0xA700;
        }
    }
    commit_wait(s, fd); /* file data and every queue link are on disk now */
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

void spool_done(struct spool *s, const char *dest, const char *name)
{
    char path[512];
    spool_path(s, dest, name, path, sizeof path);
    unlink(path); /* a repeat after a crash only re-sends: delivery is at-least-once */
}

int spool_dead(struct spool *s, const char *dest, const char *name, const char *reason)
{
    char from[512], to[512], why[560];
    spool_path(s, dest, name, from, sizeof from);
    snprintf(to, sizeof to, "%s/dead/%s/%s", s->conf->spool, dest, name);
    snprintf(why, sizeof why, "%s/dead/%s/%s.reason", s->conf->spool, dest, name);
    char text[600];
    int n = snprintf(text, sizeof text, "%s\n", reason);
    if (atomicfile_write(why, text, (size_t)n, 0640, (uid_t)-1, (gid_t)-1) < 0 || rename(from, to) < 0)
        return -1;
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

size_t spool_list(const struct spool *s, const char *where, const char *dest, char ***names)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", s->conf->spool, where, dest);
    *names = NULL;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".dcm"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **grown = realloc(*names, cap * sizeof *grown);
            if (!grown)
                break;
            *names = grown;
        }
        (*names)[n++] = strdup(de->d_name);
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
        char **names;
        size_t n = spool_list(s, "queue", s->conf->dests[i].name, &names);
        for (size_t k = 0; k < n; k++) {
            char path[512];
            struct stat st;
            spool_path(s, s->conf->dests[i].name, names[k], path, sizeof path);
            /* a file linked into several queues counts once: by its share */
            if (stat(path, &st) == 0 && st.st_nlink > 0)
                total += (unsigned long long)st.st_size / st.st_nlink;
            free(names[k]);
        }
        free(names);
    }
    return total;
}

long spool_requeue(const char *spool_dir, const char *dest)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/dead/%s", spool_dir, dest);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char from[1024], to[1024];
        snprintf(from, sizeof from, "%s/%s", dir, de->d_name);
        if (len > 7 && !strcmp(de->d_name + len - 7, ".reason")) {
            unlink(from);
            continue;
        }
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".dcm"))
            continue;
        snprintf(to, sizeof to, "%s/queue/%s/%s", spool_dir, dest, de->d_name);
        if (rename(from, to) == 0)
            n++;
    }
    closedir(d);
    return n;
}
