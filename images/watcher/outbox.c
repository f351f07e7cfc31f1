/* outbox.c: see outbox.h. Batch names are NUMBER-READMS.batch, NUMBER
 * zero-padded so that the oldest sorts first. */
#include "outbox.h"

#include "atomicfile.h"
#include "clock.h"
#include "fdio.h"
#include "envconf.h"
#include "watcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir, and when it made the folder, an fsync of its parent: a folder
 * made at the first start must survive a power cut as the cursors and
 * batches in it do. */
static int mkdir_durable(char *path)
{
    if (mkdir(path, 0750) < 0)
        return errno == EEXIST ? 0 : -1;
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    *slash = '\0';
    int rc = fsync_path(path, O_DIRECTORY);
    *slash = '/';
    return rc;
}

int outbox_mkdirs(const char *path)
{
    char buf[600];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir_durable(buf) < 0)
                return -1;
            *p = '/';
        }
    return mkdir_durable(buf);
}

/* A folder, open for the fsyncs that make the links in it durable. */
static int open_dir(const char *path)
{
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int is_batch(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && !strcmp(name + n - 6, ".batch");
}

/* Count what waits in sink s's folder, and the highest batch number. */
static int count_sink(struct outbox *o, unsigned s)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/outbox/%s", o->root, o->sinks[s].name);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (!is_batch(e->d_name) || fstatat(dirfd(d), e->d_name, &st, 0) < 0)
            continue;
        o->sinks[s].bytes += (uint64_t)st.st_size;
        o->sinks[s].batches++;
        uint64_t num = strtoull(e->d_name, NULL, 10);
        if (num >= o->next)
            o->next = num + 1;
    }
    closedir(d);
    return 0;
}

int outbox_open(struct outbox *o, const char *state, const char *const *sinks, unsigned nsinks,
                unsigned long long max_bytes, char *err, size_t cap)
{
    char dir[600];
    memset(o, 0, sizeof *o);
    snprintf(o->root, sizeof o->root, "%s", state);
    o->max_bytes = max_bytes;
    pthread_mutex_init(&o->lock, NULL);
    watcher_cond_init(&o->changed);
    snprintf(dir, sizeof dir, "%s/outbox/tmp", state);
    if (outbox_mkdirs(dir) < 0)
        return envconf_fail(err, cap, "cannot create %s: %s", dir, strerror(errno));
    for (unsigned s = 0; s < nsinks && s < OUTBOX_MAX_SINKS; s++, o->nsinks++) {
        snprintf(o->sinks[s].name, sizeof o->sinks[s].name, "%s", sinks[s]);
        snprintf(dir, sizeof dir, "%s/outbox/%s", state, sinks[s]);
        o->sinks[s].dead_fd = -1;
        if (outbox_mkdirs(dir) < 0 || count_sink(o, s) < 0 || (o->sinks[s].dir_fd = open_dir(dir)) < 0)
            return envconf_fail(err, cap, "cannot use %s: %s", dir, strerror(errno));
        snprintf(dir, sizeof dir, "%s/dead/%s", state, sinks[s]);
        if (outbox_mkdirs(dir) < 0 || (o->sinks[s].dead_fd = open_dir(dir)) < 0)
            return envconf_fail(err, cap, "cannot use %s: %s", dir, strerror(errno));
    }
    return 0;
}

void outbox_close(struct outbox *o)
{
    for (unsigned s = 0; s < o->nsinks; s++) {
        close(o->sinks[s].dir_fd);
        close(o->sinks[s].dead_fd);
    }
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->changed);
}

static int write_tmp(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        errno = e;
        return -1;
    }
    return close(fd);
}

/* Link tmp into every sink's folder, then make the links durable. */
static int link_all(struct outbox *o, const char *tmp, const char *name)
{
    char path[700];
    for (unsigned s = 0; s < o->nsinks; s++) {
        snprintf(path, sizeof path, "%s/outbox/%s/%s", o->root, o->sinks[s].name, name);
        if (link(tmp, path) < 0 && errno != EEXIST)
            return -1;
    }
    for (unsigned s = 0; s < o->nsinks; s++)
        if (fsync(o->sinks[s].dir_fd) < 0)
            return -1;
    return 0;
}

int outbox_put(struct outbox *o, const char *data, size_t len, uint64_t read_ms)
{
    char name[64], tmp[700];
    pthread_mutex_lock(&o->lock);
    uint64_t num = o->next++;
    pthread_mutex_unlock(&o->lock);
    snprintf(name, sizeof name, "%020" PRIu64 "-%" PRIu64 ".batch", num, read_ms);
    snprintf(tmp, sizeof tmp, "%s/outbox/tmp/%s", o->root, name);
    if (write_tmp(tmp, data, len) < 0)
        return -1;
    int rc = link_all(o, tmp, name);
    int e = errno;
    unlink(tmp); /* the sinks' links keep the data; a leftover tmp is harmless */
    if (rc < 0) {
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&o->lock);
    for (unsigned s = 0; s < o->nsinks; s++) {
        o->sinks[s].bytes += len;
        o->sinks[s].batches++;
    }
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
    return 0;
}

int outbox_full(struct outbox *o)
{
    int full = 0;
    pthread_mutex_lock(&o->lock);
    for (unsigned s = 0; s < o->nsinks; s++)
        if (o->sinks[s].bytes >= o->max_bytes)
            full = 1;
    pthread_mutex_unlock(&o->lock);
    return full;
}

/* The smallest batch name in dir into name; 1 found, 0 none, -1 error. */
static int oldest(const char *dir, char *name, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (is_batch(e->d_name) && strlen(e->d_name) < cap && (!found || strcmp(e->d_name, name) < 0)) {
            strcpy(name, e->d_name);
            found = 1;
        }
    closedir(d);
    return found;
}

static int read_all(const char *path, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (n != st.st_size) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    *data = buf;
    *len = (size_t)n;
    return 0;
}

int outbox_next(struct outbox *o, unsigned s, unsigned wait_ms, char *name, size_t cap, char **data, size_t *len)
{
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/outbox/%s", o->root, o->sinks[s].name);
    int found = oldest(dir, name, cap);
    if (found == 0) {
        pthread_mutex_lock(&o->lock);
        o->sinks[s].oldest_read_ms = 0;
        if (!o->sinks[s].batches) {
            struct timespec until = clock_timespec(clock_mono_ms() + wait_ms);
            pthread_cond_timedwait(&o->changed, &o->lock, &until);
        }
        pthread_mutex_unlock(&o->lock);
        return 0;
    }
    if (found < 0)
        return -1;
    const char *dash = strchr(name, '-');
    pthread_mutex_lock(&o->lock);
    o->sinks[s].oldest_read_ms = dash ? strtoull(dash + 1, NULL, 10) : 0;
    pthread_mutex_unlock(&o->lock);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_all(path, data, len) < 0 ? -1 : 1;
}

static void forget(struct outbox *o, unsigned s, size_t len)
{
    pthread_mutex_lock(&o->lock);
    o->sinks[s].bytes = o->sinks[s].bytes > len ? o->sinks[s].bytes - len : 0;
    if (o->sinks[s].batches)
        o->sinks[s].batches--;
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
}

void outbox_done(struct outbox *o, unsigned s, const char *name, size_t len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/outbox/%s/%s", o->root, o->sinks[s].name, name);
    unlink(path); /* not fsynced: a batch that comes back after a crash is sent again (at least once) */
    forget(o, s, len);
}

int outbox_dead(struct outbox *o, unsigned s, const char *name, size_t len, const char *reason)
{
    char from[700], to[700], why[720];
    snprintf(to, sizeof to, "%s/dead/%s/%s", o->root, o->sinks[s].name, name);
    snprintf(why, sizeof why, "%s.reason", to);
    if (atomicfile_write(why, reason, strlen(reason), 0640, (uid_t)-1, (gid_t)-1) < 0)
        return -1;
    snprintf(from, sizeof from, "%s/outbox/%s/%s", o->root, o->sinks[s].name, name);
    if (rename(from, to) < 0)
        return -1;
    fsync(o->sinks[s].dead_fd);
    forget(o, s, len);
    return 0;
}

void outbox_wake(struct outbox *o)
{
    pthread_mutex_lock(&o->lock);
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
}
