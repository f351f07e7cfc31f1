/* envconf.c: see envconf.h. */
#include "envconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *envconf_get(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int envconf_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

int envconf_number(const char *name, const char *fallback, unsigned long long min,
                   unsigned long long max, unsigned long long *out, char *err, size_t cap)
{
    const char *v = envconf_get(name, fallback);
    if (!v)
        return envconf_fail(err, cap, "%s is not set", name);
    /* digits only: strtoull alone would take " -1" as a huge number, and
     * saturate what is too big for it */
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end || errno == ERANGE || n < min || n > max)
        return envconf_fail(err, cap, "%s: expected a number from %llu to %llu, got '%s'", name, min, max, v);
    *out = n;
    return 0;
}

static int load_number(const struct envconf_var *v, char *field, char *err, size_t cap)
{
    unsigned long long n;
    if (envconf_number(v->name, v->fallback, v->min, v->max, &n, err, cap) < 0)
        return -1;
    if (v->size == sizeof(unsigned long long)) {
        memcpy(field, &n, sizeof n);
    } else if (v->size == sizeof(unsigned) && v->max <= UINT32_MAX) {
        unsigned u = (unsigned)n;
        memcpy(field, &u, sizeof u);
    } else {
        return envconf_fail(err, cap, "%s: internal error: field of %zu bytes", v->name, v->size);
    }
    return 0;
}

int envconf_bool(const char *text)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return 1;
        if (strcasecmp(text, no[i]) == 0)
            return 0;
    }
    return -1;
}

static int load_bool(const struct envconf_var *v, const char *value, char *field, char *err, size_t cap)
{
    int b = envconf_bool(value);
    if (b < 0)
        return envconf_fail(err, cap, "%s: expected true or false, got '%s'", v->name, value);
    if (v->size != sizeof b)
        return envconf_fail(err, cap, "%s: internal error: field of %zu bytes", v->name, v->size);
    memcpy(field, &b, sizeof b);
    return 0;
}

static int load_text(const struct envconf_var *v, const char *value, char *field, char *err, size_t cap)
{
    size_t longest = v->max && v->max < v->size ? (size_t)v->max : v->size - 1;
    if (strlen(value) > longest)
        return envconf_fail(err, cap, "%s: at most %zu characters", v->name, longest);
    memcpy(field, value, strlen(value) + 1);
    return 0;
}

static int load_one(const struct envconf_var *v, const char *value, char *field, char *err, size_t cap)
{
    switch (v->type) {
    case ENVCONF_NUMBER:
        return load_number(v, field, err, cap);
    case ENVCONF_TEXT:
        return load_text(v, value, field, err, cap);
    case ENVCONF_BOOLEAN:
        return load_bool(v, value, field, err, cap);
    case ENVCONF_STRING:
        break;
    }
    memcpy(field, &value, sizeof value);
    return 0;
}

int envconf_load(const struct envconf_var *table, size_t n, void *settings, char *err, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        const struct envconf_var *v = &table[i];
        const char *value = envconf_get(v->name, v->fallback);
        if (!value)
            return envconf_fail(err, cap, "%s is not set: %s", v->name, v->meaning);
        if (load_one(v, value, (char *)settings + v->offset, err, cap) < 0)
            return -1;
    }
    return 0;
}

void envconf_help(FILE *out, const struct envconf_var *table, size_t n)
{
    fprintf(out, "Environment:\n");
    for (size_t i = 0; i < n; i++) {
        const struct envconf_var *v = &table[i];
        fprintf(out, "  %s", v->name);
        if (!v->fallback)
            fprintf(out, " (required)");
        else if (*v->fallback)
            fprintf(out, " (default %s)", v->fallback);
        if (v->type == ENVCONF_NUMBER)
            fprintf(out, " [%llu-%llu]", v->min, v->max);
        else if (v->type == ENVCONF_BOOLEAN)
            fprintf(out, " [true/false]");
        fprintf(out, "\n      %s\n", v->meaning);
    }
}
