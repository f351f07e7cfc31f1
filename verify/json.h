/* json.h: a strict JSON reader (RFC 8259) into a small tree, for the
 * little JSON cirr-verify reads: md5 lists, docker-archive manifests and
 * the Docker engine's answers. Strict: one value, nothing after it but
 * white space, valid UTF-8, no duplicate keys, no \u0000 (every string is
 * a C string), nesting at most JSON_MAX_DEPTH deep, at most JSON_MAX_VALUES
 * values in all (so that a 16 MiB "[0,0,...]" cannot take half a GiB). */
#ifndef CIRR_VERIFY_JSON_H
#define CIRR_VERIFY_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_VALUES (1u << 20)

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    char *text;          /* a string's decoded value, or a number's text */
    size_t len;          /* its length in bytes */
    char *key;           /* a member of an object: its key */
    struct json *items;  /* an array's elements or an object's members */
    size_t count;
};

/* Parse len bytes of text into *out. 0, or -1 with "line L column C: what"
 * in err (*out is then empty). Free the tree with json_free. */
int json_parse(const char *text, size_t len, struct json *out, char *err, size_t cap);

/* Release everything *v owns (accepts an empty or zeroed struct). */
void json_free(struct json *v);

/* The value of key in object v, or NULL (also when v is not an object). */
const struct json *json_get(const struct json *v, const char *key);

/* The string value of key in object v, or NULL when missing or not a string. */
const char *json_get_string(const struct json *v, const char *key);

#endif
