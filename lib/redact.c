/* redact.c: a secret's occurrences in a text, in any of its forms (see
 * redact.h). The match is a small nondeterministic automaton: after k bytes
 * of the value, the set of text positions an occurrence could have reached,
 * since one byte may take forms of different lengths ('%' or "%25"). */
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FORMS_MAX 12

/* One way a byte may be written: exact forms compare byte for byte, the
 * others without regard to case (hex digits, "%2f" or "%2F"). */
struct form {
    char s[8];
    unsigned char len, exact;
};

struct forms {
    struct form f[FORMS_MAX];
    int n;
};

static void add(struct forms *fs, int exact, const char *fmt, unsigned c)
{
    struct form *f = &fs->f[fs->n++];
    int n = snprintf(f->s, sizeof f->s, fmt, c);
    f->len = (unsigned char)(n > 0 ? n : 0);
    f->exact = (unsigned char)exact;
}

/* Every form byte c takes in the texts cirr-init writes or relays. */
static void forms_of(unsigned char c, struct forms *fs)
{
    static const char *const named[] = {['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
                                        ['\b'] = "\\b", ['\f'] = "\\f"};
    fs->n = 0;
    add(fs, 1, "%c", c);
    add(fs, 0, "%%%02X", c);                      /* URL encoding */
    if (c == ' ')
        add(fs, 1, "+", 0);                       /* form encoding */
    if (c == '\n' || c == '\r')
        add(fs, 1, " ", 0);                       /* lines joined */
    if (c == '\r')
        add(fs, 1, "", 0);                        /* CR LF as one space */
    if (c == '\n')
        add(fs, 1, "\r\n", 0);                    /* LF as CR LF */
    if (c == '\\' || c == '"' || c == '\'' || c == '/')
        add(fs, 1, "\\%c", c);                    /* JSON, C, conninfo */
    if (c == '\'' || c == '"')
        add(fs, 1, c == '"' ? "\"\"" : "''", 0);  /* SQL */
    if (c < 0x20 || c >= 0x7f) {
        add(fs, 0, "\\x%02x", c);                 /* log_escape, C */
        add(fs, 0, "\\u%04x", c);                 /* JSON */
    }
    if (c < sizeof named / sizeof *named && named[c])
        add(fs, 1, named[c], 0);                  /* JSON, C */
}

static const struct forms *forms_table(void)
{
    static struct forms table[256];
    static int ready;
    if (!ready) {
        for (unsigned c = 0; c < 256; c++)
            forms_of((unsigned char)c, &table[c]);
        ready = 1;
    }
    return table;
}

/* Where form f, read at pos, ends in text; or -1. A cut text that stops
 * inside the form matches it to its end. */
static long form_end(const struct form *f, const char *t, size_t pos, size_t len, int cut)
{
    size_t n = f->len < len - pos ? f->len : len - pos;
    int differ = f->exact ? memcmp(t + pos, f->s, n) : strncasecmp(t + pos, f->s, n);
    if (differ)
        return -1;
    if (n == f->len)
        return (long)(pos + n);
    return cut ? (long)len : -1;
}

/* A set of text positions. */
struct posset {
    size_t *at;
    size_t n, cap;
};

static int pos_add(struct posset *s, size_t pos)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->at[i] == pos)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        size_t *at = realloc(s->at, cap * sizeof *at);
        if (!at)
            return -1;
        s->at = at;
        s->cap = cap;
    }
    s->at[s->n++] = pos;
    return 0;
}

/* Positions reached from those in from by one more byte c of the value. */
static int step(const struct forms *fs, const struct posset *from, struct posset *to,
                const char *t, size_t len, int cut)
{
    to->n = 0;
    for (size_t i = 0; i < from->n; i++)
        for (int j = 0; j < fs->n; j++) {
            long end = form_end(&fs->f[j], t, from->at[i], len, cut);
            if (end >= 0 && pos_add(to, (size_t)end) < 0)
                return -1;
        }
    return 0;
}

static size_t largest(const struct posset *s)
{
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->at[i] > m)
            m = s->at[i];
    return m;
}

/* The end of the longest occurrence of v that starts at start, or start
 * when there is none; (size_t)-1 when out of memory. */
static size_t match_at(const unsigned char *v, const char *t, size_t len, size_t start, int cut,
                       struct posset *a, struct posset *b)
{
    const struct forms *table = forms_table();
    a->n = 0;
    if (pos_add(a, start) < 0)
        return (size_t)-1;
    for (; *v; v++) {
        if (step(&table[*v], a, b, t, len, cut) < 0)
            return (size_t)-1;
        struct posset swap = *a;
        *a = *b;
        *b = swap;
        if (a->n == 0)
            return start;
        if (cut && largest(a) == len)
            return len; /* the text ends inside the value: the rest was cut off */
    }
    return largest(a);
}

int redact_mark(const char *value, const char *text, size_t len, int cut, unsigned char *hit)
{
    struct posset a = {0}, b = {0};
    int rc = 0;
    for (size_t start = 0; value[0] && start < len && rc == 0; start++) {
        size_t end = match_at((const unsigned char *)value, text, len, start, cut, &a, &b);
        if (end == (size_t)-1)
            rc = -1;
        else if (end > start)
            memset(hit + start, 1, end - start);
    }
    free(a.at);
    free(b.at);
    return rc;
}

char *redact_apply(const char *text, size_t len, const unsigned char *hit)
{
    size_t runs = 0;
    for (size_t i = 0; i < len; i++)
        runs += hit[i] && (i == 0 || !hit[i - 1]);
    char *out = malloc(len + runs * (sizeof REDACT_MASK - 1) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (!hit[i])
            out[n++] = text[i];
        else if (i == 0 || !hit[i - 1]) {
            memcpy(out + n, REDACT_MASK, sizeof REDACT_MASK - 1);
            n += sizeof REDACT_MASK - 1;
        }
    }
    out[n] = '\0';
    return out;
}
