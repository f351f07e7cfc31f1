/* jsontree.h: a small ordered JSON object tree for writing orthanc.json.
 * Values are kept as JSON text; setting a path again replaces the value. */
#ifndef CIRR_JSONTREE_H
#define CIRR_JSONTREE_H

#include "strbuf.h"

struct jnode;

/* A new empty object; free with jnode_free (accepts NULL). */
struct jnode *jnode_new_object(void);
void jnode_free(struct jnode *n);

/* Set root.path[0].path[1]... = raw JSON text; intermediate objects are
 * created (or replace a scalar). count >= 1. */
void jnode_set(struct jnode *root, const char *const *path, int count, const char *raw);

/* Convenience for one level and JSON strings/numbers/booleans. */
void jnode_set_string(struct jnode *root, const char *key, const char *value);
void jnode_set_raw(struct jnode *root, const char *key, const char *raw);
/* The child object at key, created when missing. */
struct jnode *jnode_object(struct jnode *root, const char *key);

/* Pretty-print as JSON, two-space indent, keys in insertion order. */
void jnode_write(const struct jnode *n, struct strbuf *out, int indent);

#endif
