/* formbody.c: see formbody.h. The JSON read here is the one shape the API
 * takes, a flat object of short strings (UIDs and peer names): escapes,
 * numbers and nesting are refused rather than half-understood. */
#include "formbody.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *skip_space(const char *s)
{
    return s + strspn(s, " \t\r\n");
}

/* A JSON string at *s (its quotes) without escapes: its bytes in *text,
 * *len; *s after it. -1 when it is not one. */
static int json_string(const char **s, const char **text, size_t *len)
{
    if (**s != '"')
        return -1;
    *text = *s + 1;
    *len = strcspn(*text, "\"\\");
    if ((*text)[*len] != '"')
        return -1;
    *s = *text + *len + 1;
    return 0;
}

static int json_object(const char *s, const char *const *names, struct urlquery *q, char *err, size_t cap)
{
    s = skip_space(s);
    if (*s++ != '{')
        return snprintf(err, cap, "the body: a JSON object of strings expected"), -1;
    s = skip_space(s);
    if (*s == '}')
        return *skip_space(s + 1) ? snprintf(err, cap, "the body: text after the JSON object"), -1 : 0;
    for (;;) {
        const char *name, *value;
        size_t nlen, vlen;
        s = skip_space(s);
        if (json_string(&s, &name, &nlen) < 0 || *(s = skip_space(s)) != ':')
            return snprintf(err, cap, "the body: a JSON object of strings (no escapes) expected"), -1;
        s = skip_space(s + 1);
        if (json_string(&s, &value, &vlen) < 0)
            return snprintf(err, cap, "the body: %.*s: a string without escapes expected", (int)(nlen > 31 ? 31 : nlen),
                            name), -1;
        if (urlquery_add(q, names, name, nlen, value, vlen, err, cap) < 0)
            return -1;
        s = skip_space(s);
        if (*s == '}')
            return *skip_space(s + 1) ? snprintf(err, cap, "the body: text after the JSON object"), -1 : 0;
        if (*s++ != ',')
            return snprintf(err, cap, "the body: ',' or '}' expected in the JSON object"), -1;
    }
}

/* The media type of a Content-Type value, its parameters (charset) aside. */
static int media_type_is(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    return !strncasecmp(content_type, type, n) && strchr("; \t", content_type[n]);
}

int formbody_parse(const struct httpd_request *req, const char *const *names, struct urlquery *q, char *err,
                   size_t cap)
{
    memset(q, 0, sizeof *q);
    if (strlen(req->body) != req->body_len)
        return snprintf(err, cap, "the body: a NUL byte"), -1;
    if (media_type_is(req->content_type, "application/json"))
        return json_object(req->body, names, q, err, cap);
    if (media_type_is(req->content_type, "application/x-www-form-urlencoded")) {
        char query[HTTPD_BODY_MAX + 2] = "?";
        memcpy(query + 1, req->body, req->body_len + 1);
        return urlquery_parse(query, names, q, err, cap);
    }
    return snprintf(err, cap, "Content-Type: application/x-www-form-urlencoded or application/json expected"), -1;
}
