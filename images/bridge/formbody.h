/* formbody.h: a POST's parameters, from an application/x-www-form-urlencoded
 * body (a=1&b=2) or a JSON object of string members ({"a": "1"}), checked
 * as urlquery.h checks a query string. */
#ifndef BRIDGE_FORMBODY_H
#define BRIDGE_FORMBODY_H

#include "httpd.h"
#include "urlquery.h"

/* Parse req's body into q, each name one of names (NULL-terminated).
 * 0, or -1 with what is wrong in err. */
int formbody_parse(const struct httpd_request *req, const char *const *names, struct urlquery *q, char *err,
                   size_t cap);

#endif
