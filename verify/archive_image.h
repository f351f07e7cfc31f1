/* archive_image.h: an image in a docker-archive tarball (what `docker
 * save` writes and `docker load` reads, with the OCI layout beside it, as
 * rootfs/archive.py builds them) against its manifest line. The chain
 * checked: the listed manifest digest names a blob of the archive with
 * that SHA-256; that OCI manifest names the listed config digest; the
 * archive's manifest.json entry tagged with the image's name points at a
 * config blob with that digest, and at layer blobs whose SHA-256 are the
 * OCI manifest's layer digests, in order. (`docker load` checks the
 * uncompressed layers against the config's diff_ids itself.) */
#ifndef CIRR_VERIFY_ARCHIVE_IMAGE_H
#define CIRR_VERIFY_ARCHIVE_IMAGE_H

#include "manifest.h"
#include "outcome.h"

/* The archive is DIR/<last component of the repository>.tar
 * (cirr/mux:0.1.0 -> DIR/mux.tar). One line in o if anything differs. */
void archive_image_check(const char *dir, const struct manifest_image *img, struct outcome *o);

/* The tags a docker-archive holds, space-separated and escaped, into out:
 * 0; or -1 (not a valid docker-archive) / -2 (unreadable) with why in out. */
int archive_tags(const char *path, char *out, size_t cap);

#endif
