/* json.c: a strict recursive-descent JSON reader into struct json. */
#include "json.h"

#include "array.h"
#include "envconf.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

struct reader {
    const unsigned char *p, *end, *start;
    int depth;
    size_t values;
    char *err;
    size_t cap;
};

/* "line L column C: what" for the reader's position; returns -1. */
static int fail(struct reader *r, const char *what)
{
    unsigned line = 1, col = 1;
    for (const unsigned char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else
            col++;
    }
    return envconf_fail(r->err, r->cap, "line %u column %u: %s", line, col, what);
}

static void skip_space(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int parse_value(struct reader *r, struct json *v);

static int hex4(struct reader *r, unsigned *out)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++, r->p++) {
        if (r->p >= r->end)
            return fail(r, "truncated \\u escape");
        unsigned c = *r->p, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return fail(r, "bad \\u escape");
        x = x << 4 | d;
    }
    *out = x;
    return 0;
}

/* A \uXXXX escape (r->p after the 'u'), a surrogate pair as one code
 * point, appended to dst as UTF-8; returns the bytes written or -1. */
static int unicode_escape(struct reader *r, char *dst)
{
    unsigned cp, lo;
    if (hex4(r, &cp) < 0)
        return -1;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return fail(r, "lone low surrogate in \\u escape");
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
            return fail(r, "high surrogate without its low half");
        r->p += 2;
        if (hex4(r, &lo) < 0)
            return -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            return fail(r, "high surrogate without its low half");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (cp == 0)
        return fail(r, "\\u0000 is not allowed");
    unsigned char *d = (unsigned char *)dst;
    if (cp < 0x80) {
        d[0] = cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = 0xc0 | cp >> 6, d[1] = 0x80 | (cp & 0x3f);
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = 0xe0 | cp >> 12, d[1] = 0x80 | (cp >> 6 & 0x3f), d[2] = 0x80 | (cp & 0x3f);
        return 3;
    }
    d[0] = 0xf0 | cp >> 18, d[1] = 0x80 | (cp >> 12 & 0x3f);
    d[2] = 0x80 | (cp >> 6 & 0x3f), d[3] = 0x80 | (cp & 0x3f);
    return 4;
}

static int simple_escape(unsigned char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/* A string (r->p on its opening quote) into a malloc'd C string. The
 * decoded text is never longer than the source, which bounds dst. */
static int parse_string(struct reader *r, char **out, size_t *outlen)
{
    const unsigned char *q = ++r->p;
    while (q < r->end && *q != '"')
        q += (*q == '\\' && q + 1 < r->end) ? 2 : 1;
    if (q >= r->end)
        return fail(r, "unterminated string");
    char *dst = malloc((size_t)(q - r->p) + 1);
    if (!dst)
        return fail(r, "out of memory");
    size_t n = 0;
    while (*r->p != '"') {
        unsigned char c = *r->p;
        if (c < 0x20) {
            free(dst);
            return fail(r, "control character in string");
        }
        if (c == '\\') {
            int e = simple_escape(r->p[1]), k = 1;
            r->p += 2;
            if (e < 0 && r->p[-1] == 'u')
                k = unicode_escape(r, dst + n);
            else if (e < 0)
                k = (r->p -= 2, fail(r, "bad escape in string"));
            else
                dst[n] = (char)e;
            if (k < 0) {
                free(dst);
                return -1;
            }
            n += (size_t)k;
            continue;
        }
        size_t k = utf8_sequence(r->p, (size_t)(r->end - r->p));
        if (k == 0) {
            free(dst);
            return fail(r, "invalid UTF-8 in string");
        }
        memcpy(dst + n, r->p, k);
        n += k;
        r->p += k;
    }
    r->p++;
    dst[n] = '\0';
    *out = dst;
    *outlen = n;
    return 0;
}

static int parse_number(struct reader *r, struct json *v)
{
    const unsigned char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    else
        return fail(r, "bad number");
    if (r->p < r->end && *r->p == '.') {
        if (++r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "bad number: no digit after '.'");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        if (++r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return fail(r, "bad number: no digit in the exponent");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    v->type = JSON_NUMBER;
    v->len = (size_t)(r->p - s);
    if (!(v->text = strndup((const char *)s, v->len)))
        return fail(r, "out of memory");
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return strcmp((*(const struct json *const *)a)->key, (*(const struct json *const *)b)->key);
}

/* 1 when two members of object v share a key (sorted copies: O(n log n)). */
static int has_duplicate_key(const struct json *v)
{
    if (v->count < 2)
        return 0;
    const struct json **sorted = malloc(v->count * sizeof *sorted);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < v->count; i++)
        sorted[i] = &v->items[i];
    qsort(sorted, v->count, sizeof *sorted, by_key);
    int dup = 0;
    for (size_t i = 1; i < v->count && !dup; i++)
        dup = strcmp(sorted[i - 1]->key, sorted[i]->key) == 0;
    free(sorted);
    return dup;
}

/* One more element of v, zeroed, and counted (so json_free owns it). */
static struct json *add_item(struct reader *r, struct json *v, size_t *cap)
{
    struct json *items = array_grow(v->items, cap, v->count + 1, sizeof *items, 4);
    if (!items)
        return fail(r, "out of memory"), NULL;
    v->items = items;
    memset(&items[v->count], 0, sizeof *items);
    return &items[v->count++];
}

static int parse_key(struct reader *r, struct json *item)
{
    size_t klen;
    skip_space(r);
    if (r->p >= r->end || *r->p != '"')
        return fail(r, "expected a string key");
    if (parse_string(r, &item->key, &klen) < 0)
        return -1;
    skip_space(r);
    if (r->p >= r->end || *r->p != ':')
        return fail(r, "expected ':' after a key");
    r->p++;
    return 0;
}

/* The members of an array or object: r->p after its opening bracket. */
static int parse_members(struct reader *r, struct json *v, unsigned char close)
{
    size_t cap = 0;
    skip_space(r);
    if (r->p < r->end && *r->p == close)
        return r->p++, 0;
    for (;;) {
        struct json *item = add_item(r, v, &cap);
        if (!item || (v->type == JSON_OBJECT && parse_key(r, item) < 0) || parse_value(r, item) < 0)
            return -1;
        skip_space(r);
        if (r->p < r->end && *r->p == close)
            break;
        if (r->p >= r->end || *r->p != ',')
            return fail(r, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
        r->p++;
    }
    int dup = v->type == JSON_OBJECT ? has_duplicate_key(v) : 0;
    if (dup)
        return fail(r, dup < 0 ? "out of memory" : "duplicate key in this object");
    r->p++;
    return 0;
}

static int parse_word(struct reader *r, struct json *v, const char *word, enum json_type t)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, "unexpected character");
    r->p += n;
    v->type = t;
    return 0;
}

static int parse_value(struct reader *r, struct json *v)
{
    if (++r->values > JSON_MAX_VALUES)
        return fail(r, "more than 1048576 values");
    skip_space(r);
    if (r->p >= r->end)
        return fail(r, "unexpected end of input");
    switch (*r->p) {
    case '"': v->type = JSON_STRING; return parse_string(r, &v->text, &v->len);
    case 't': return parse_word(r, v, "true", JSON_TRUE);
    case 'f': return parse_word(r, v, "false", JSON_FALSE);
    case 'n': return parse_word(r, v, "null", JSON_NULL);
    case '[':
    case '{':
        if (++r->depth > JSON_MAX_DEPTH)
            return fail(r, "nested too deep");
        v->type = *r->p == '[' ? JSON_ARRAY : JSON_OBJECT;
        r->p++;
        if (parse_members(r, v, v->type == JSON_ARRAY ? ']' : '}') < 0)
            return -1;
        r->depth--;
        return 0;
    default:
        return parse_number(r, v);
    }
}

int json_parse(const char *text, size_t len, struct json *out, char *err, size_t cap)
{
    struct reader r = {(const unsigned char *)text, (const unsigned char *)text + len,
                       (const unsigned char *)text, 0, 0, err, cap};
    memset(out, 0, sizeof *out);
    if (parse_value(&r, out) == 0) {
        skip_space(&r);
        if (r.p == r.end)
            return 0;
        fail(&r, "text after the value");
    }
    json_free(out);
    return -1;
}

void json_free(struct json *v)
{
    for (size_t i = 0; i < v->count; i++)
        json_free(&v->items[i]);
    free(v->items);
    free(v->key);
    free(v->text);
    memset(v, 0, sizeof *v);
}

const struct json *json_get(const struct json *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].key, key) == 0)
            return &v->items[i];
    return NULL;
}

const char *json_get_string(const struct json *v, const char *key)
{
    const struct json *s = json_get(v, key);
    return s && s->type == JSON_STRING ? s->text : NULL;
}
