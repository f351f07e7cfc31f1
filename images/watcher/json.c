/* json.c: the JSON reader and writer of json.h: a recursive descent over
 * RFC 8259's grammar, depth-limited, that refuses anything else. */
#include "json.h"

#include "array.h"

#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
    const char *p, *end;
    int depth;
};

static struct json *parse_value(struct parser *ps);

struct json *json_new(enum json_type type, const char *text)
{
    struct json *j = xmalloc(sizeof *j);
    memset(j, 0, sizeof *j);
    j->type = type;
    j->text = text ? xstrdup(text) : NULL;
    return j;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        if (j->keys)
            free(j->keys[i]);
        json_free(j->items[i]);
    }
    free(j->keys);
    free(j->items);
    free(j->text);
    free(j);
}

static void add_item(struct json *c, char *key, struct json *item)
{
    size_t cap = c->cap;
    void *items = array_grow(c->items, &cap, c->n + 1, sizeof *c->items, 8);
    if (!items)
        xmalloc((size_t)-1); /* dies, as strbuf does when memory runs out */
    c->items = items;
    if (c->type == JSON_OBJECT) {
        size_t kcap = c->cap;
        void *keys = array_grow(c->keys, &kcap, c->n + 1, sizeof *c->keys, 8);
        if (!keys)
            xmalloc((size_t)-1);
        c->keys = keys;
        c->keys[c->n] = key;
    }
    c->cap = cap;
    c->items[c->n++] = item;
}

void json_append(struct json *arr, struct json *item) { add_item(arr, NULL, item); }
void json_put(struct json *obj, const char *key, struct json *value) { add_item(obj, xstrdup(key), value); }

struct json *json_copy(const struct json *j)
{
    struct json *c = json_new(j->type, j->text);
    for (size_t i = 0; i < j->n; i++)
        add_item(c, j->type == JSON_OBJECT ? xstrdup(j->keys[i]) : NULL, json_copy(j->items[i]));
    return c;
}

struct json *json_take(struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key)) {
            struct json *v = obj->items[i];
            free(obj->keys[i]);
            memmove(obj->keys + i, obj->keys + i + 1, (obj->n - i - 1) * sizeof *obj->keys);
            memmove(obj->items + i, obj->items + i + 1, (obj->n - i - 1) * sizeof *obj->items);
            obj->n--;
            return v;
        }
    return NULL;
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return obj->items[i];
    return NULL;
}

const struct json *json_at(const struct json *arr, size_t i)
{
    return arr && arr->type == JSON_ARRAY && i < arr->n ? arr->items[i] : NULL;
}

const char *json_text(const struct json *j)
{
    return j && (j->type == JSON_STRING || j->type == JSON_NUMBER) ? j->text : NULL;
}

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    strbuf_add(sb, b, n);
}

/* \uXXXX (with its surrogate pair) at ps->p, just after the 'u'. */
static int parse_unicode(struct parser *ps, struct strbuf *sb)
{
    unsigned cp, lo;
    if (ps->end - ps->p < 4 || hex4(ps->p, &cp) < 0)
        return -1;
    ps->p += 4;
    if (cp >= 0xD800 && cp < 0xDC00) {
        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        ps->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return -1;
    }
    if (cp == 0)
        return -1; /* a NUL cannot live in a C string */
    add_utf8(sb, cp);
    return 0;
}

static int parse_escape(struct parser *ps, struct strbuf *sb)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (ps->p >= ps->end)
        return -1;
    char c = *ps->p++;
    if (c == 'u')
        return parse_unicode(ps, sb);
    const char *k = strchr(from, c);
    if (!k || !c)
        return -1;
    strbuf_add(sb, &to[k - from], 1);
    return 0;
}

/* A string at ps->p (on the opening quote): a malloc'd copy, or NULL. */
static char *parse_string(struct parser *ps)
{
    struct strbuf sb = {0};
    ps->p++;
    while (ps->p < ps->end && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20)
            goto bad;
        if (c == '\\') {
            ps->p++;
            if (parse_escape(ps, &sb) < 0)
                goto bad;
            continue;
        }
        strbuf_add(&sb, ps->p++, 1);
    }
    if (ps->p >= ps->end)
        goto bad;
    ps->p++;
    return strbuf_take(&sb);
bad:
    strbuf_free(&sb);
    return NULL;
}

static struct json *parse_number(struct parser *ps)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    size_t digits = 0;
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || strchr(".eE+-", *ps->p)))
        ps->p++, digits++;
    if (!digits || ps->p - s > 64)
        return NULL;
    char buf[80], *end;
    memcpy(buf, s, (size_t)(ps->p - s));
    buf[ps->p - s] = '\0';
    strtod(buf, &end);
    if (*end || (buf[0] == '-' ? buf[1] : buf[0]) == '.')
        return NULL;
    return json_new(JSON_NUMBER, buf);
}

static int literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return 0;
    ps->p += n;
    return 1;
}

/* The members of an object or the items of an array, after its bracket. */
static struct json *parse_container(struct parser *ps, enum json_type type, char close)
{
    struct json *c = json_new(type, NULL);
    if (++ps->depth > JSON_MAX_DEPTH)
        goto bad;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return c;
    }
    for (;;) {
        char *key = NULL;
        skip_space(ps);
        if (type == JSON_OBJECT) {
            if (ps->p >= ps->end || *ps->p != '"' || !(key = parse_string(ps)))
                goto bad;
            skip_space(ps);
            if (ps->p >= ps->end || *ps->p++ != ':') {
                free(key);
                goto bad;
            }
        }
        struct json *v = parse_value(ps);
        if (!v) {
            free(key);
            goto bad;
        }
        add_item(c, key, v);
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return c;
        }
        goto bad;
    }
bad:
    json_free(c);
    return NULL;
}

static struct json *parse_value(struct parser *ps)
{
    skip_space(ps);
    if (ps->p >= ps->end)
        return NULL;
    switch (*ps->p) {
    case '{': ps->p++; return parse_container(ps, JSON_OBJECT, '}');
    case '[': ps->p++; return parse_container(ps, JSON_ARRAY, ']');
    case '"': {
        char *s = parse_string(ps);
        if (!s)
            return NULL;
        struct json *j = json_new(JSON_STRING, NULL);
        j->text = s;
        return j;
    }
    case 't': return literal(ps, "true") ? json_new(JSON_BOOL, "true") : NULL;
    case 'f': return literal(ps, "false") ? json_new(JSON_BOOL, "false") : NULL;
    case 'n': return literal(ps, "null") ? json_new(JSON_NULL, NULL) : NULL;
    default: return parse_number(ps);
    }
}

struct json *json_parse(const char *text, size_t len)
{
    struct parser ps = {text, text + len, 0};
    struct json *j = parse_value(&ps);
    skip_space(&ps);
    if (j && ps.p != ps.end) {
        json_free(j);
        return NULL;
    }
    return j;
}

void json_write(const struct json *j, struct strbuf *out)
{
    switch (j->type) {
    case JSON_NULL: strbuf_adds(out, "null"); return;
    case JSON_BOOL:
    case JSON_NUMBER: strbuf_adds(out, j->text); return;
    case JSON_STRING:
        strbuf_adds(out, "\"");
        strbuf_add_json(out, j->text);
        strbuf_adds(out, "\"");
        return;
    case JSON_ARRAY:
    case JSON_OBJECT:
        strbuf_adds(out, j->type == JSON_ARRAY ? "[" : "{");
        for (size_t i = 0; i < j->n; i++) {
            if (i)
                strbuf_adds(out, ",");
            if (j->type == JSON_OBJECT) {
                strbuf_adds(out, "\"");
                strbuf_add_json(out, j->keys[i]);
                strbuf_adds(out, "\":");
            }
            json_write(j->items[i], out);
        }
        strbuf_adds(out, j->type == JSON_ARRAY ? "]" : "}");
        return;
    }
}
