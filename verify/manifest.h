/* manifest.h: a release's MANIFEST, parsed strictly (doc/verify.md):
 *
 *   cirr-release-manifest 1
 *   file <sha256 hex> <path>
 *   image <name:tag> sha256:<config hex> sha256:<manifest hex>
 *
 * One entry a line, fields separated by one space, every line ending in
 * '\n'; paths as relpath.h allows; no path or image twice. */
#ifndef CIRR_VERIFY_MANIFEST_H
#define CIRR_VERIFY_MANIFEST_H

#include "digest.h"

#include <stddef.h>

#define MANIFEST_VERSION_LINE "cirr-release-manifest 1"
#define MANIFEST_MAX_BYTES (16u << 20)
#define MANIFEST_MAX_LINE 2048   /* bytes, '\n' included */
#define MANIFEST_MAX_ENTRIES 100000
#define IMAGE_NAME_MAX 255
#define IMAGE_DIGEST_LEN 71      /* "sha256:" and 64 hex digits */

struct manifest_file {
    char *path;
    unsigned char sha256[SHA256_LEN];
    unsigned line;
};

struct manifest_image {
    char name[IMAGE_NAME_MAX + 1];
    char config[IMAGE_DIGEST_LEN + 1];   /* the image ID Docker shows */
    char manifest[IMAGE_DIGEST_LEN + 1]; /* the OCI manifest's digest */
    unsigned line;
};

struct manifest {
    struct manifest_file *files;   /* sorted by path */
    size_t nfiles;
    struct manifest_image *images; /* sorted by name */
    size_t nimages;
};

/* Parse len bytes. 0, or -1 with "line N: what is wrong" in err (*m is
 * then empty). Free with manifest_free. */
int manifest_parse(const char *data, size_t len, struct manifest *m, char *err, size_t cap);

void manifest_free(struct manifest *m);

/* The entry for path, or NULL. */
const struct manifest_file *manifest_file_find(const struct manifest *m, const char *path);

/* NULL when name is a valid image reference with a tag, else what is wrong. */
const char *image_name_problem(const char *name, size_t n);

#endif
