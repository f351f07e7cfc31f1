/* urlquery.c: see urlquery.h. */
#include "urlquery.h"

#include <stdio.h>
#include <string.h>

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode src[0..len) ('+' is a space, %XX a byte) into dst (cap bytes);
 * -1 when it does not fit or decodes to a byte a value may not have. */
static int decode(const char *src, size_t len, char *dst, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)src[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = hex(src[i + 1]), lo = hex(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c < 0x20 || c > 0x7e || c == '\\' || j + 1 >= cap)
            return -1;
        dst[j++] = (char)c;
    }
    dst[j] = '\0';
    return 0;
}

static int known(const char *const *names, const char *name)
{
    for (; *names; names++)
        if (!strcmp(*names, name))
            return 1;
    return 0;
}

/* Copy src[0..len) as it is into dst (cap bytes); -1 as decode. */
static int copy(const char *src, size_t len, char *dst, size_t cap)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)src[i] < 0x20 || (unsigned char)src[i] > 0x7e || src[i] == '\\')
            return -1;
    if (len >= cap)
        return -1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

/* Add name (nlen bytes) = value (vlen bytes) to q, each %-decoded when
 * encoded. 0, or -1 with err. */
static int add(struct urlquery *q, const char *const *names, const char *name, size_t nlen, const char *value,
               size_t vlen, int encoded, char *err, size_t cap)
{
    int (*take)(const char *, size_t, char *, size_t) = encoded ? decode : copy;
    if (q->n == URLQUERY_MAX)
        return snprintf(err, cap, "too many parameters"), -1;
    if (take(name, nlen, q->name[q->n], sizeof q->name[q->n]) < 0 || !known(names, q->name[q->n]))
        return snprintf(err, cap, "unknown parameter '%.*s'", (int)(nlen > 31 ? 31 : nlen), name), -1;
    if (urlquery_get(q, q->name[q->n]))
        return snprintf(err, cap, "parameter %s given twice", q->name[q->n]), -1;
    if (take(value, vlen, q->value[q->n], sizeof q->value[q->n]) < 0)
        return snprintf(err, cap, "%s: at most 64 printable ASCII characters, no '\\'", q->name[q->n]), -1;
    q->n++;
    return 0;
}

int urlquery_add(struct urlquery *q, const char *const *names, const char *name, size_t nlen, const char *value,
                 size_t vlen, char *err, size_t cap)
{
    return add(q, names, name, nlen, value, vlen, 0, err, cap);
}

int urlquery_parse(const char *path, const char *const *names, struct urlquery *q, char *err, size_t cap)
{
    const char *s = strchr(path, '?');
    memset(q, 0, sizeof *q);
    if (!s)
        return 0;
    for (s++; *s;) {
        size_t len = strcspn(s, "&");
        const char *eq = memchr(s, '=', len);
        if (len && !eq)
            return snprintf(err, cap, "'%.*s': expected name=value", (int)(len > 40 ? 40 : len), s), -1;
        size_t nlen = len ? (size_t)(eq - s) : 0;
        if (len && add(q, names, s, nlen, eq + 1, len - nlen - 1, 1, err, cap) < 0)
            return -1;
        s += len + (s[len] == '&');
    }
    return 0;
}

const char *urlquery_get(const struct urlquery *q, const char *name)
{
    for (unsigned i = 0; i < q->n; i++)
        if (!strcmp(q->name[i], name))
            return q->value[i];
    return NULL;
}
