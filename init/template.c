/* template.c: renders the ${VAR} language described in template.h. */
#include "template.h"

#include "log.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
    const char *p;
    int line;
    struct template_error *err;
};

static int fail(struct cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cursor *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c->err->line = c->line;
    log_vformat(c->err->message, sizeof c->err->message, fmt, ap); /* redacted whole */
    va_end(ap);
    return -1;
}

static int is_name_start(char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_'; }
static int is_name_char(char ch) { return is_name_start(ch) || (ch >= '0' && ch <= '9'); }

/* One ${...} reference, parsed. Texts point into the template. */
struct reference {
    char name[128];
    char op;              /* 0, '-' or '?' */
    const char *arg;      /* default or message */
    size_t arg_len;
    int json;             /* |json filter */
};

/* Parse after "${"; leaves c->p after the closing brace. */
static int parse_reference(struct cursor *c, struct reference *ref)
{
    const char *p = c->p;
    memset(ref, 0, sizeof *ref);
    if (!is_name_start(*p))
        return fail(c, "invalid variable name after '${'");
    size_t n = 0;
    while (is_name_char(*p)) {
        if (n + 1 >= sizeof ref->name)
            return fail(c, "variable name too long");
        ref->name[n++] = *p++;
    }
    if (p[0] == ':' && (p[1] == '-' || p[1] == '?')) {
        ref->op = p[1];
        p += 2;
        ref->arg = p;
        while (*p && *p != '}' && *p != '|' && *p != '\n')
            p++;
        ref->arg_len = (size_t)(p - ref->arg);
    }
    if (*p == '|') {
        const char *f = ++p;
        while (is_name_char(*p))
            p++;
        if ((size_t)(p - f) == 4 && strncmp(f, "json", 4) == 0)
            ref->json = 1;
        else
            return fail(c, "unknown filter '%.*s' in ${%s}", (int)(p - f), f, ref->name);
    }
    if (*p != '}')
        return fail(c, "unterminated ${%s", ref->name);
    c->p = p + 1;
    return 0;
}

static int substitute(struct cursor *c, const struct reference *ref,
                      const struct template_env *env, struct strbuf *out, int *used_secret)
{
    const char *value = env->lookup(ref->name, env->ctx);
    int empty = !value || !*value;
    struct strbuf arg = {0};
    if (empty && ref->op == '?') {
        if (ref->arg_len)
            fail(c, "%s: %.*s", ref->name, (int)ref->arg_len, ref->arg);
        else
            fail(c, "%s: required variable is not set", ref->name);
        return -1;
    }
    if (empty && ref->op == '-') {
        strbuf_add(&arg, ref->arg, ref->arg_len);
        value = arg.data ? arg.data : "";
    } else if (!value) {
        value = "";
    } else if (env->is_secret && env->is_secret(ref->name, env->ctx)) {
        *used_secret = 1;
    }
    if (ref->json)
        strbuf_add_json(out, value);
    else
        strbuf_adds(out, value);
    strbuf_free(&arg);
    return 0;
}

int template_render(const char *text, const struct template_env *env, char **out,
                    int *used_secret, struct template_error *err)
{
    struct cursor c = {text, 1, err};
    struct strbuf sb = {0};
    int secret = 0;
    while (*c.p) {
        const char *dollar = strchr(c.p, '$');
        const char *end = dollar ? dollar : c.p + strlen(c.p);
        for (const char *q = c.p; q < end; q++)
            c.line += *q == '\n';
        strbuf_add(&sb, c.p, (size_t)(end - c.p));
        c.p = end;
        if (!dollar)
            break;
        if (dollar[1] == '$') {
            strbuf_add(&sb, "$", 1);
            c.p = dollar + 2;
        } else if (dollar[1] == '{') {
            struct reference ref;
            c.p = dollar + 2;
            if (parse_reference(&c, &ref) < 0 || substitute(&c, &ref, env, &sb, &secret) < 0) {
                strbuf_free(&sb);
                return -1;
            }
        } else {
            strbuf_add(&sb, "$", 1);
            c.p = dollar + 1;
        }
    }
    *out = strbuf_take(&sb);
    if (used_secret)
        *used_secret = secret;
    return 0;
}
