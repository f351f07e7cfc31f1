/* release_files.h: a release folder against its manifest's file list:
 * every listed file present, a regular file, with the listed SHA-256, and
 * nothing else in the folder but MANIFEST and MANIFEST.sig. */
#ifndef CIRR_VERIFY_RELEASE_FILES_H
#define CIRR_VERIFY_RELEASE_FILES_H

#include "digest.h"
#include "manifest.h"
#include "outcome.h"

/* Hash path in the folder rootfd, following no symbolic link: 0 with the
 * digest in out, or -1 after one line in o saying why not (missing, a
 * link or not a regular file: a mismatch; unreadable: a failure). */
int release_file_digest(int rootfd, const char *path, enum digest_kind kind, unsigned char *out,
                        struct outcome *o);

/* 1 for MANIFEST and MANIFEST.sig at the top of the release (depth 0). */
int release_is_signature_file(const char *path, int depth);

/* rootfd: the release folder, open. Each problem is one line in o. */
void release_files_check(int rootfd, const struct manifest *m, struct outcome *o);

#endif
