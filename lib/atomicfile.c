/* atomicfile.c: see atomicfile.h. */
#include "atomicfile.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void sync_dir(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    fsync_path(dirname(copy), O_DIRECTORY);
}

static int write_file(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                      gid_t gid, int durable)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.new", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    if (fchmod(fd, mode) < 0 || ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0) ||
        fd_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
        int saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (durable)
        sync_dir(path);
    return 0;
}

int atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                     gid_t gid)
{
    return write_file(path, data, len, mode, uid, gid, 1);
}

int atomicfile_replace(const char *path, const char *data, size_t len, mode_t mode)
{
    return write_file(path, data, len, mode, (uid_t)-1, (gid_t)-1, 0);
}
