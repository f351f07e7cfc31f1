/* relpath.h: the file paths a manifest or an md5 list may name: relative
 * to the release folder, and unable to leave it or to hide. */
#ifndef CIRR_VERIFY_RELPATH_H
#define CIRR_VERIFY_RELPATH_H

#include <stddef.h>

#define RELPATH_MAX 1024

/* NULL when the n bytes at p are a valid path, else what is wrong with it.
 * Valid: 1 to RELPATH_MAX bytes of UTF-8 without control characters, not
 * starting or ending with '/', no empty, "." or ".." component, none that
 * starts or ends with a space (seen, it looks like another file's name). */
const char *relpath_problem(const char *p, size_t n);

#endif
