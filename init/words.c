/* words.c: split first, expand within each word (see words.h). */
#include "words.h"

#include "list.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy the ${...} reference at s into w as it is; returns what follows. */
static const char *copy_reference(const char *s, struct strbuf *w)
{
    const char *end = strchr(s, '}');
    size_t n = end ? (size_t)(end - s) + 1 : strlen(s);
    strbuf_add(w, s, n);
    return s + n;
}

/* One word at s into w (still unexpanded); NULL on an unterminated quote,
 * else where the word ends. *quoted: it had quotes. */
static const char *one_word(const char *s, struct strbuf *w, int *quoted)
{
    int in_quotes = 0;
    while (*s && (in_quotes || (*s != ' ' && *s != '\t'))) {
        if (s[0] == '$' && s[1] == '{') {
            s = copy_reference(s, w);
        } else if (*s == '"') {
            in_quotes = !in_quotes;
            *quoted = 1;
            s++;
        } else {
            if (in_quotes && *s == '\\' && s[1])
                s++;
            strbuf_add(w, s++, 1);
        }
    }
    return in_quotes ? NULL : s;
}

/* Expand raw into *out; returns 0 or -1 with err set. */
static int expand(const char *raw, const struct template_env *env, char **out, char *err, size_t cap)
{
    struct template_error terr;
    if (template_render(raw, env, out, NULL, &terr) == 0)
        return 0;
    snprintf(err, cap, "%s", terr.message);
    return -1;
}

/* Append item to the vector *v of *n items (kept NULL-terminated). */
static void append(char ***v, size_t *n, char *item)
{
    *v = xrealloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = item;
    (*v)[*n] = NULL;
}

char **words_expand(const char *s, const struct template_env *env, char *err, size_t cap)
{
    char **v = xmalloc(sizeof *v);
    size_t n = 0;
    v[0] = NULL;
    for (;;) {
        s += strspn(s, " \t");
        if (!*s)
            return v;
        struct strbuf w = {0};
        int quoted = 0;
        char *word = NULL;
        s = one_word(s, &w, &quoted);
        if (!s)
            snprintf(err, cap, "unterminated quote");
        if (!s || expand(w.data ? w.data : "", env, &word, err, cap) < 0) {
            strbuf_free(&w);
            list_free(v);
            return NULL;
        }
        strbuf_free(&w);
        if (*word || quoted)
            append(&v, &n, word);
        else
            free(word);
    }
}

/* The item at s up to the next comma outside a reference, into w. */
static const char *one_item(const char *s, struct strbuf *w)
{
    while (*s && *s != ',') {
        if (s[0] == '$' && s[1] == '{')
            s = copy_reference(s, w);
        else
            strbuf_add(w, s++, 1);
    }
    return s;
}

char **words_expand_items(const char *s, const struct template_env *env, char *err, size_t cap)
{
    char **v = xmalloc(sizeof *v);
    size_t n = 0;
    v[0] = NULL;
    while (*s) {
        struct strbuf w = {0};
        char *item;
        s = one_item(s, &w);
        s += *s == ',';
        int rc = expand(w.data ? w.data : "", env, &item, err, cap);
        strbuf_free(&w);
        if (rc < 0) {
            list_free(v);
            return NULL;
        }
        size_t lead = strspn(item, " \t"), len = strlen(item);
        while (len > lead && (item[len - 1] == ' ' || item[len - 1] == '\t'))
            len--;
        if (len > lead) {
            memmove(item, item + lead, len - lead);
            item[len - lead] = '\0';
            append(&v, &n, item);
        } else {
            free(item);
        }
    }
    return v;
}
