/* json.h: a small JSON reader for what the watcher's peers answer (Orthanc's
 * tags and /changes, Splunk's {"text","code"} and acks): text -> a tree of
 * nodes, and the tree back to text. Numbers are kept as their text, so a
 * value passes through unchanged. */
#ifndef WATCH_JSON_H
#define WATCH_JSON_H

#include "strbuf.h"

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    char *text;             /* a string's UTF-8 value, a number's text, "true"/"false" */
    char **keys;            /* an object's keys, in order (n of them) */
    struct json **items;    /* an array's items or an object's values */
    size_t n, cap;
};

/* Parse len bytes; NULL when they are not one JSON value (nesting deeper
 * than 64 counts as not JSON). Free with json_free (accepts NULL). */
struct json *json_parse(const char *text, size_t len);
void json_free(struct json *j);

/* The value of key in an object (first match), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* Item i of an array, or NULL. */
const struct json *json_at(const struct json *arr, size_t i);
/* A string's text or a number's text, else NULL. */
const char *json_text(const struct json *j);

/* New nodes for building a tree (allocation failure is fatal, as strbuf). */
struct json *json_new(enum json_type type, const char *text);
/* Append to an array, or add key to an object (no check for duplicates). */
void json_append(struct json *arr, struct json *item);
void json_put(struct json *obj, const char *key, struct json *value);
/* A deep copy of j. */
struct json *json_copy(const struct json *j);
/* Take out the value of key (the caller owns it), or NULL. */
struct json *json_take(struct json *obj, const char *key);

/* Append the compact JSON text of j. */
void json_write(const struct json *j, struct strbuf *out);

#endif
