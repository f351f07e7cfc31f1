/* textfile.h: a whole small text file (a secret, a template, a routes
 * file) read into memory: the one place cirr's programs read NAME_FILE
 * values and other files they hold as a single string. */
#ifndef CIRR_TEXTFILE_H
#define CIRR_TEXTFILE_H

#include <stddef.h>

/* path's contents as a malloc'd NUL-terminated string, its trailing line
 * breaks (\n, \r) cut: a secret written by `echo` has one. NULL with errno
 * set when it cannot be read, is larger than max bytes (EFBIG), or holds
 * a NUL byte (EINVAL: it would silently cut the value short). */
char *textfile_read(const char *path, size_t max);

#endif
