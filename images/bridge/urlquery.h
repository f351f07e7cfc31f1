/* urlquery.h: the query string of a request path (?a=1&b=2), decoded and
 * checked: every value printable ASCII without '\' (a DICOM value
 * separator) and at most 64 bytes; names from a fixed list. */
#ifndef BRIDGE_URLQUERY_H
#define BRIDGE_URLQUERY_H

#include <stddef.h>

#define URLQUERY_MAX 12

struct urlquery {
    char name[URLQUERY_MAX][32];
    char value[URLQUERY_MAX][65];
    unsigned n;
};

/* Parse the part of path after '?' (none: empty) into q, each name one of
 * names (NULL-terminated). 0, or -1 with what is wrong in err. */
int urlquery_parse(const char *path, const char *const *names, struct urlquery *q, char *err, size_t cap);

/* Add name=value, both nlen and vlen bytes taken as they are (not
 * %-decoded), checked as urlquery_parse checks them. 0, or -1 with err. */
int urlquery_add(struct urlquery *q, const char *const *names, const char *name, size_t nlen, const char *value,
                 size_t vlen, char *err, size_t cap);

/* The value of name, or NULL. */
const char *urlquery_get(const struct urlquery *q, const char *name);

#endif
