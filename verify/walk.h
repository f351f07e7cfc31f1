/* walk.h: every entry of a folder tree that is not a folder, depth
 * first, never through a symbolic link; for the unlisted-file check and
 * for writing a manifest. */
#ifndef CIRR_VERIFY_WALK_H
#define CIRR_VERIFY_WALK_H

#include <stddef.h>

#define WALK_MAX_DEPTH 64

enum walk_kind {
    WALK_FILE,      /* a regular file */
    WALK_LINK,      /* a symbolic link (not followed) */
    WALK_OTHER,     /* a device, pipe or socket */
    WALK_TOO_DEEP,  /* a folder nested deeper than WALK_MAX_DEPTH (not entered) */
};

/* path: relative to the top ("a/b.txt"); depth: 0 at the top. */
typedef void (*walk_fn)(void *ctx, const char *path, enum walk_kind kind, int depth);

/* Walk the folder open at rootfd (which stays open). 0, or -1 with one
 * line in err when a folder could not be listed or an entry examined. */
int walk_tree(int rootfd, walk_fn fn, void *ctx, char *err, size_t cap);

#endif
