/* fdio.h: plain file-descriptor I/O that every caller would otherwise
 * loop over by hand. */
#ifndef CIRR_FDIO_H
#define CIRR_FDIO_H

#include <stddef.h>

/* Write all len bytes of buf to fd, going on after short writes and
 * EINTR. 0, or -1 with errno set (some bytes may have been written). */
int fd_write_all(int fd, const void *buf, size_t len);

/* fsync the file or folder at path (opened read-only with flags added,
 * e.g. O_DIRECTORY or O_NOFOLLOW): a file's data, or the names a folder
 * links, are durable from then on. 0, or -1 with errno set. */
int fsync_path(const char *path, int flags);

/* syncfs the file system that holds the folder dir: everything written
 * to it so far is durable, one flush for many files. 0, or -1 with errno. */
int syncfs_path(const char *dir);

#endif
