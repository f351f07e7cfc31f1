/* cache.c: see cache.h. The index of studies is in memory (rebuilt from
 * the folders at start); one mutex guards it. Room is reserved before a
 * file is written, so that writers at once never take the cache past its
 * limit. */
#include "cache.h"

#include "array.h"
#include "atomicfile.h"
#include "clock.h"
#include "fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cache_study {
    char uid[65];
    unsigned long long bytes;
    uint64_t used;  /* last served or kept (monotonic ms): least recent goes first */
    int complete;
    unsigned refs;  /* moves writing it, requests served from it */
    struct cache_study *next;
};

int cache_valid_uid(const char *uid)
{
    size_t n = strlen(uid);
    return n >= 1 && n <= 64 && strspn(uid, "0123456789.") == n && uid[0] != '.';
}

void cache_path(const struct cache *c, const char *study, const char *uid, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s/%s.dcm", c->dir, study, uid);
}

static struct cache_study *find(struct cache *c, const char *study)
{
    for (struct cache_study *e = c->head; e; e = e->next)
        if (!strcmp(e->uid, study))
            return e;
    return NULL;
}

static struct cache_study *get(struct cache *c, const char *study)
{
    struct cache_study *e = find(c, study);
    if (!e && (e = calloc(1, sizeof *e))) {
        snprintf(e->uid, sizeof e->uid, "%s", study);
        e->used = clock_mono_ms();
        e->next = c->head;
        c->head = e;
    }
    return e;
}

/* Create folder in c->dir unless it is there; a new one is made durable
 * (c->dir fsynced: its name is then on disk). */
static int make_folder(const struct cache *c, const char *folder)
{
    if (mkdir(folder, 0750) < 0)
        return errno == EEXIST ? 0 : -1;
    return fsync_path(c->dir, O_DIRECTORY);
}

/* The files of a study's folder, then the folder (under c->mu). */
static void remove_study(struct cache *c, struct cache_study *e)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", c->dir, e->uid);
    DIR *d = opendir(path);
    for (struct dirent *f; d && (f = readdir(d));)
        if (f->d_name[0] != '.') {
            char file[800];
            snprintf(file, sizeof file, "%s/%s", path, f->d_name);
            unlink(file);
        }
    if (d)
        closedir(d);
    rmdir(path);
    c->bytes -= e->bytes;
    for (struct cache_study **p = &c->head; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    free(e);
}

/* Evict least recently used studies nobody holds until need more bytes
 * fit (under c->mu). 0, or -1 when they cannot. */
static int make_room(struct cache *c, unsigned long long need)
{
    while (c->bytes + need > c->limit) {
        struct cache_study *lru = NULL;
        for (struct cache_study *e = c->head; e; e = e->next)
            if (!e->refs && (!lru || e->used < lru->used))
                lru = e;
        if (!lru)
            return -1;
        remove_study(c, lru);
        c->evicted++;
    }
    return 0;
}

/* One folder found at start: counted when complete, else removed. */
static void load_study(struct cache *c, const char *name)
{
    char path[512], marker[600];
    struct stat st;
    struct cache_study *e = get(c, name);
    if (!e)
        return;
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    snprintf(marker, sizeof marker, "%s/complete", path);
    e->complete = stat(marker, &st) == 0;
    DIR *d = opendir(path);
    for (struct dirent *f; d && (f = readdir(d));) {
        char file[800];
        snprintf(file, sizeof file, "%s/%s", path, f->d_name);
        if (f->d_name[0] != '.' && stat(file, &st) == 0 && S_ISREG(st.st_mode))
            e->bytes += (unsigned long long)st.st_size;
    }
    if (d)
        closedir(d);
    c->bytes += e->bytes;
    if (!e->complete)
        remove_study(c, e);
}

int cache_open(struct cache *c, const char *dir, unsigned long long limit, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->limit = limit;
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return snprintf(err, cap, "BRIDGE_CACHE_DIR: cannot create %s: %s", dir, strerror(errno)), -1;
    DIR *d = opendir(dir);
    if (!d)
        return snprintf(err, cap, "BRIDGE_CACHE_DIR: cannot read %s: %s", dir, strerror(errno)), -1;
    for (struct dirent *f; (f = readdir(d));)
        if (cache_valid_uid(f->d_name))
            load_study(c, f->d_name);
    closedir(d);
    make_room(c, 0); /* a smaller BRIDGE_CACHE_MB than last time */
    return 0;
}

void cache_close(struct cache *c)
{
    while (c->head) {
        struct cache_study *e = c->head;
        c->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
}

void cache_begin(struct cache *c, const char *study)
{
    pthread_mutex_lock(&c->mu);
    struct cache_study *e = get(c, study);
    if (e)
        e->refs++;
    pthread_mutex_unlock(&c->mu);
}

/* Reserve len bytes for study (under the lock); -1 when they do not fit. */
static int reserve(struct cache *c, const char *study, long long len)
{
    pthread_mutex_lock(&c->mu);
    struct cache_study *e = find(c, study);
    int rc = e && (len <= 0 || make_room(c, (unsigned long long)len) == 0) ? 0 : -1;
    if (rc == 0) {
        e->bytes += (unsigned long long)len;
        c->bytes += (unsigned long long)len;
        e->used = clock_mono_ms();
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

static int write_instance(struct cache *c, const char *study, const char *uid, const void *buf, size_t len)
{
    char folder[512], path[800];
    snprintf(folder, sizeof folder, "%s/%s", c->dir, study);
    if (make_folder(c, folder) < 0)
        return -1;
    cache_path(c, study, uid, path, sizeof path);
    return atomicfile_write(path, buf, len, 0640, (uid_t)-1, (gid_t)-1);
}

int cache_keep(struct cache *c, const char *study, const cirr_dicom_dataset *ds, const char *ts_uid)
{
    char uid[65], path[800];
    void *buf = NULL;
    size_t len = 0;
    struct stat st;
    if (cirr_dicom_get_string(ds, CIRR_TAG_SOP_INSTANCE_UID, uid, sizeof uid) != CIRR_DICOM_OK ||
        !cache_valid_uid(uid) ||
        cirr_dicom_dataset_encode((cirr_dicom_dataset *)ds, ts_uid, &buf, &len) != CIRR_DICOM_OK)
        return -1;
    cache_path(c, study, uid, path, sizeof path);
    long long before = stat(path, &st) == 0 ? (long long)st.st_size : 0; /* kept before: replaced */
    int rc = reserve(c, study, (long long)len - before);
    if (rc == 0 && write_instance(c, study, uid, buf, len) < 0) {
        reserve(c, study, before - (long long)len);
        rc = -1;
    }
    free(buf);
    if (rc == 0) {
        pthread_mutex_lock(&c->mu);
        c->kept++;
        pthread_mutex_unlock(&c->mu);
    }
    return rc;
}

/* The "complete" file: a line per instance; its bytes count too (under
 * c->mu, e held). */
static int write_marker(struct cache *c, struct cache_study *e, const char *study, const struct cache_listing *l)
{
    char path[600];
    size_t cap = l->n * 132 + 1, at = 0;
    char *text = malloc(cap);
    if (!text)
        return -1;
    for (size_t i = 0; i < l->n; i++)
        at += (size_t)snprintf(text + at, cap - at, "%s %s\n", l->sop_class[i], l->uid[i]);
    snprintf(path, sizeof path, "%s/%s/complete", c->dir, study);
    int rc = make_room(c, at) == 0 ? atomicfile_write(path, text, at, 0640, (uid_t)-1, (gid_t)-1) : -1;
    if (rc == 0) {
        e->bytes += at;
        c->bytes += at;
    }
    free(text);
    return rc;
}

void cache_end(struct cache *c, const char *study, const struct cache_listing *complete)
{
    pthread_mutex_lock(&c->mu);
    struct cache_study *e = find(c, study);
    if (e && complete && !e->complete && write_marker(c, e, study, complete) == 0)
        e->complete = 1;
    if (e && --e->refs == 0 && !e->complete)
        remove_study(c, e);
    pthread_mutex_unlock(&c->mu);
}

/* The "complete" file read back into l. */
static int read_marker(struct cache *c, const char *study, struct cache_listing *l)
{
    char path[600], cls[65], uid[65];
    size_t cap = 0, ucap = 0;
    snprintf(path, sizeof path, "%s/%s/complete", c->dir, study);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    memset(l, 0, sizeof *l);
    int rc = 0;
    while (rc == 0 && fscanf(f, "%64s %64s", cls, uid) == 2) {
        void *a = array_grow(l->sop_class, &cap, l->n + 1, sizeof *l->sop_class, 64);
        void *b = a ? array_grow(l->uid, &ucap, l->n + 1, sizeof *l->uid, 64) : NULL;
        if (a)
            l->sop_class = a;
        if (b)
            l->uid = b;
        if (!a || !b || !cache_valid_uid(uid)) {
            rc = -1;
            break;
        }
        memcpy(l->sop_class[l->n], cls, sizeof cls);
        memcpy(l->uid[l->n++], uid, sizeof uid);
    }
    fclose(f);
    if (rc < 0 || !l->n)
        cache_listing_free(l);
    return rc < 0 || !l->n ? -1 : 0;
}

int cache_lookup(struct cache *c, const char *study, struct cache_listing *out)
{
    pthread_mutex_lock(&c->mu);
    struct cache_study *e = find(c, study);
    int ok = e && e->complete;
    if (ok) {
        e->refs++;
        e->used = clock_mono_ms();
    }
    pthread_mutex_unlock(&c->mu);
    if (!ok)
        return -1;
    if (read_marker(c, study, out) < 0) {
        cache_release(c, study);
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    c->hits++;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

void cache_release(struct cache *c, const char *study)
{
    pthread_mutex_lock(&c->mu);
    struct cache_study *e = find(c, study);
    if (e && e->refs)
        e->refs--;
    pthread_mutex_unlock(&c->mu);
}

void cache_listing_free(struct cache_listing *l)
{
    free(l->sop_class);
    free(l->uid);
    memset(l, 0, sizeof *l);
}
