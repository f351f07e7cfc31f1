/* jsontree.c: see jsontree.h. */
#include "jsontree.h"

#include <stdlib.h>
#include <string.h>

struct jnode {
    char *key;            /* NULL for the root */
    char *raw;            /* JSON text, or NULL for an object */
    struct jnode **kids;
    unsigned nkids;
};

static struct jnode *node(const char *key)
{
    struct jnode *n = xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->key = key ? xstrdup(key) : NULL;
    return n;
}

struct jnode *jnode_new_object(void) { return node(NULL); }

void jnode_free(struct jnode *n)
{
    if (!n)
        return;
    for (unsigned i = 0; i < n->nkids; i++)
        jnode_free(n->kids[i]);
    free(n->kids);
    free(n->key);
    free(n->raw);
    free(n);
}

static struct jnode *child(struct jnode *parent, const char *key)
{
    for (unsigned i = 0; i < parent->nkids; i++)
        if (strcmp(parent->kids[i]->key, key) == 0)
            return parent->kids[i];
    parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
    return parent->kids[parent->nkids++] = node(key);
}

static void make_object(struct jnode *n)
{
    free(n->raw);
    n->raw = NULL;
}

void jnode_set(struct jnode *root, const char *const *path, int count, const char *raw)
{
    struct jnode *n = root;
    for (int i = 0; i < count; i++) {
        n = child(n, path[i]);
        if (i + 1 < count && n->raw)
            make_object(n);
    }
    for (unsigned i = 0; i < n->nkids; i++)
        jnode_free(n->kids[i]);
    free(n->kids);
    n->kids = NULL;
    n->nkids = 0;
    free(n->raw);
    n->raw = xstrdup(raw);
}

void jnode_set_raw(struct jnode *root, const char *key, const char *raw)
{
    const char *path[] = {key};
    jnode_set(root, path, 1, raw);
}

void jnode_set_string(struct jnode *root, const char *key, const char *value)
{
    struct strbuf sb = {0};
    strbuf_adds(&sb, "\"");
    strbuf_add_json(&sb, value);
    strbuf_adds(&sb, "\"");
    jnode_set_raw(root, key, sb.data);
    strbuf_free(&sb);
}

struct jnode *jnode_object(struct jnode *root, const char *key)
{
    struct jnode *n = child(root, key);
    if (n->raw)
        make_object(n);
    return n;
}

static void pad(struct strbuf *out, int indent)
{
    for (int i = 0; i < indent; i++)
        strbuf_adds(out, "  ");
}

void jnode_write(const struct jnode *n, struct strbuf *out, int indent)
{
    if (n->raw) {
        strbuf_adds(out, n->raw);
        return;
    }
    if (n->nkids == 0) {
        strbuf_adds(out, "{}");
        return;
    }
    strbuf_adds(out, "{\n");
    for (unsigned i = 0; i < n->nkids; i++) {
        pad(out, indent + 1);
        strbuf_adds(out, "\"");
        strbuf_add_json(out, n->kids[i]->key);
        strbuf_adds(out, "\": ");
        jnode_write(n->kids[i], out, indent + 1);
        strbuf_adds(out, i + 1 < n->nkids ? ",\n" : "\n");
    }
    pad(out, indent);
    strbuf_adds(out, "}");
}
