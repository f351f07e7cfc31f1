/* atomicfile.h: write a file that other processes read, atomically:
 * NAME.new is written, fsynced, renamed over NAME, and the directory is
 * fsynced, so a reader sees the old or the new contents, never a mix. */
#ifndef CIRR_ATOMICFILE_H
#define CIRR_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Returns 0, or -1 with errno set (NAME.new is removed). The file is chowned
 * to uid:gid before the rename; (uid_t)-1 / (gid_t)-1 leave that id as is. */
int atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                     gid_t gid);

/* The same without the fsyncs: atomic for readers but not durable across a
 * power loss. For runtime state under /run (a tmpfs), where fsync buys
 * nothing and costs start-up time. */
int atomicfile_replace(const char *path, const char *data, size_t len, mode_t mode);

#endif
