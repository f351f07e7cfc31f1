/* anonfile.c: read, de-identify, write one instance. */
#include "anonfile.h"

#include "cirr_dicom.h"
#include "cirr_dicom_edit.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of the folders of path (the last part is the file). The
 * series folder made last by this thread is remembered: most files go
 * into the folder of the file before them. */
static int make_parents(char *path)
{
    static __thread char last[4096];
    char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) : 0;
    if (dir && dir < sizeof last && !strncmp(last, path, dir) && last[dir] == '\0')
        return 0;
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    if (dir < sizeof last) {
        memcpy(last, path, dir);
        last[dir] = '\0';
    }
    return 0;
}

/* out_dir/PATIENT/STUDY/SERIES/SOP.dcm from the de-identified values. */
static int output_path(const cirr_dicom_dataset *ds, const char *out_dir, char *out, size_t cap)
{
    static const uint32_t parts[] = {CIRR_TAG_PATIENT_ID, CIRR_TAG_STUDY_INSTANCE_UID,
                                     CIRR_TAG_SERIES_INSTANCE_UID, CIRR_TAG_SOP_INSTANCE_UID};
    char value[4][80];
    for (int i = 0; i < 4; i++) {
        if (cirr_dicom_get_string(ds, parts[i], value[i], sizeof value[i]) != CIRR_DICOM_OK || !*value[i])
            snprintf(value[i], sizeof value[i], "%s", i == 0 ? "NOPATIENT" : "NOUID");
        if (strchr(value[i], '/') || !strcmp(value[i], "..")) /* tokens and 2.25 UIDs never have one */
            return -1;
    }
    int n = snprintf(out, cap, "%s/%s/%s/%s/%s.dcm", out_dir, value[0], value[1], value[2], value[3]);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static enum anon_result failed(char *reason, size_t cap, const char *what, const char *detail)
{
    snprintf(reason, cap, "%s: %s", what, detail);
    return ANON_FAILED;
}

/* The encoded file, in a buffer aligned and padded for O_DIRECT, one a
 * thread, kept from file to file: a fresh buffer a file cost a page fault
 * every 4 KiB, more than the copy into it. One block: this header on its
 * first page, the bytes from the second, so that the key's destructor is
 * plain free(). */
struct encoded {
    size_t cap;
};

enum { DIRECT_ALIGN = 4096 };

static pthread_key_t encoded_key;
static pthread_once_t encoded_once = PTHREAD_ONCE_INIT;

static void encoded_key_make(void)
{
    if (pthread_key_create(&encoded_key, free) != 0)
        abort(); /* only without memory for one key, at the first file */
}

static char *encoded_bytes(struct encoded *e) { return (char *)e + DIRECT_ALIGN; }

static size_t padded(size_t n) { return (n + DIRECT_ALIGN - 1) / DIRECT_ALIGN * DIRECT_ALIGN; }

/* cirr_dicom_dataset_encode_with's allocator; ctx: this thread's block
 * (NULL before its first file), grown when too small. */
static void *encoded_alloc(size_t size, void *ctx)
{
    struct encoded **mine = ctx;
    void *p;
    if (*mine && (*mine)->cap >= padded(size))
        return encoded_bytes(*mine);
    if (posix_memalign(&p, DIRECT_ALIGN, DIRECT_ALIGN + padded(size)) != 0)
        return NULL;
    if (pthread_setspecific(encoded_key, p) != 0) {
        free(p);
        return NULL;
    }
    free(*mine);
    *mine = p;
    (*mine)->cap = padded(size);
    return encoded_bytes(*mine);
}

/* A file this large or larger (a CT slice) is read lazily and written
 * directly; a smaller one is read in one read() and written through the
 * page cache. Directly (O_DIRECT): from our buffer to the disk while the
 * other threads work, instead of into fresh page cache that the final
 * flush writes again (on this project's machines both cost more than
 * de-identifying a CT instance: doc/anon.md); a small file's direct write
 * would wait for the disk, where the final flush writes many at once. */
enum { LARGE_FILE = 128 * 1024 };

static int write_direct(const char *path, char *buf, size_t len)
{
    memset(buf + len, 0, padded(len) - len);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0666);
    if (fd < 0)
        return -1;
    if (fd_write_all(fd, buf, padded(len)) < 0 || ftruncate(fd, (off_t)len) < 0) {
        close(fd);
        return -1;
    }
    return close(fd);
}

/* len bytes of buf (room for padded(len)) to path: directly when large (whole blocks, zero padded,
 * cut to len), through the page cache when small or when the file system
 * or the buffer will not have O_DIRECT. 0, or -1 with errno. */
static int write_encoded(const char *path, char *buf, size_t len)
{
    if (len >= LARGE_FILE && write_direct(path, buf, len) == 0)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    if (fd_write_all(fd, buf, len) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return close(fd);
}

/* Write ds in ts to out: as out.new, renamed into place (the caller
 * flushes the whole output once, at the end: see anonfile.h). */
static enum anon_result write_out(cirr_dicom_dataset *ds, const char *ts, char *out, char *reason, size_t rcap)
{
    char tmp[PATH_MAX];
    size_t len;
    if (snprintf(tmp, sizeof tmp, "%s.new", out) >= (int)sizeof tmp)
        return failed(reason, rcap, "path too long", out);
    if (make_parents(out) < 0)
        return failed(reason, rcap, out, strerror(errno));
    pthread_once(&encoded_once, encoded_key_make);
    struct encoded *e = pthread_getspecific(encoded_key);
    if (cirr_dicom_dataset_encode_with(ds, ts, encoded_alloc, &e, &len) != CIRR_DICOM_OK)
        return failed(reason, rcap, "cannot write", cirr_dicom_last_error());
    if (write_encoded(tmp, encoded_bytes(e), len) < 0 || rename(tmp, out) < 0) {
        int saved = errno;
        unlink(tmp);
        return failed(reason, rcap, out, strerror(saved));
    }
    return ANON_DONE;
}

enum anon_result anonfile_dataset(cirr_dicom_dataset *ds, const char *ts, const char *out_dir,
                                  const struct anon_key *key, const struct anon_options *o, char *written,
                                  size_t cap, char *reason, size_t rcap)
{
    written[0] = '\0';
    enum anon_result r = anon_dataset(ds, key, o, reason, rcap);
    if (r == ANON_DONE && output_path(ds, out_dir, written, cap) < 0)
        r = failed(reason, rcap, "output path too long or invalid under", out_dir);
    if (r == ANON_DONE)
        r = write_out(ds, ts, written, reason, rcap);
    return r;
}

enum anon_result anonfile_one(const char *path, const char *out_dir, const struct anon_key *key,
                              const struct anon_options *o, char *written, size_t cap, char *reason,
                              size_t rcap)
{
    cirr_dicom_dataset *ds;
    char ts[80];
    written[0] = '\0';
    /* A large file: DCMTK leaves large values (the pixels) in the file
     * until they are written out, no copy through a buffer of ours (half
     * the CPU of a CT instance against cirr_dicom_read_whole). A small
     * one: one read() and parsed from memory (DCMTK's file stream reads
     * it in small pieces: about 9% more instructions). Either way the
     * syntax reported is the file's own, so that it is kept. */
    struct stat st;
    int large = stat(path, &st) == 0 && st.st_size >= LARGE_FILE;
    if ((large ? cirr_dicom_dataset_read(path, &ds) : cirr_dicom_read_whole(path, &ds)) != CIRR_DICOM_OK)
        return failed(reason, rcap, "cannot read", cirr_dicom_last_error());
    if (cirr_dicom_dataset_ts(ds, ts, sizeof ts) != CIRR_DICOM_OK)
        snprintf(ts, sizeof ts, "%s", CIRR_DICOM_TS_EXPLICIT_LE);
    enum anon_result r = anonfile_dataset(ds, ts, out_dir, key, o, written, cap, reason, rcap);
    cirr_dicom_dataset_free(ds);
    return r;
}

int anonfile_mkdirs(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/x", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return make_parents(path);
}

int anonfile_flush(const char *out_dir) { return syncfs_path(out_dir); }
