/* fdio.c: see fdio.h. */
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int fd_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* op on path opened read-only with flags added; errno kept from op. */
static int on_path(const char *path, int flags, int (*op)(int))
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        return -1;
    int rc = op(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int fsync_path(const char *path, int flags) { return on_path(path, flags, fsync); }

int syncfs_path(const char *dir) { return on_path(dir, O_DIRECTORY, syncfs); }
