/* anonfile.c: read, de-identify, write one instance. */
#include "anonfile.h"

#include "cirr_dicom.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
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

/* Write ds in ts to out: as out.new, renamed into place (the caller
 * flushes the whole output once, at the end: see anonfile.h). */
static enum anon_result write_out(cirr_dicom_dataset *ds, const char *ts, char *out, char *reason, size_t rcap)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.new", out) >= (int)sizeof tmp)
        return failed(reason, rcap, "path too long", out);
    if (make_parents(out) < 0)
        return failed(reason, rcap, out, strerror(errno));
    if (cirr_dicom_dataset_write(ds, tmp, ts) != CIRR_DICOM_OK) {
        unlink(tmp);
        return failed(reason, rcap, "cannot write", cirr_dicom_last_error());
    }
    if (rename(tmp, out) < 0) {
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
    /* DCMTK leaves large values (the pixels) in the file until they are
     * written out: no copy through a buffer of ours, half the CPU of a CT
     * instance against cirr_dicom_read_whole; and the syntax reported is
     * the file's own, so that it is kept. */
    if (cirr_dicom_dataset_read(path, &ds) != CIRR_DICOM_OK)
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

int anonfile_flush(const char *out_dir)
{
    int fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = syncfs(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
