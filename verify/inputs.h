/* inputs.h: the three formats cirr-verify reads from files given on its
 * command line, each loaded and checked whole: a MANIFEST, a MANIFEST.sig
 * and an md5 list (the seed's cirr_hashes.json). Each returns 0, -1 with
 * "PATH: what is wrong" in err (bad input: exit 100), or -2 with "cannot
 * read PATH: reason" in err (a system error: exit 111). */
#ifndef CIRR_VERIFY_INPUTS_H
#define CIRR_VERIFY_INPUTS_H

#include "json.h"
#include "manifest.h"
#include "signature.h"

#include <stddef.h>

#define MD5_LIST_MAX (16u << 20)

/* The manifest's bytes (*data, malloc'd: the caller frees) and its entries. */
int manifest_load(const char *path, char **data, size_t *len, struct manifest *m, char *err, size_t cap);

int signature_load(const char *path, struct signature *s, char *err, size_t cap);

/* A JSON object of at least one "path": "md5 hex" member (any case),
 * every path as relpath.h allows. Free with json_free. */
int md5_list_load(const char *path, struct json *list, char *err, size_t cap);

#endif
