/* envconf.c: see envconf.h. */
#include "envconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || end == v || *v == '-' || n < min || n > max)
        return envconf_fail(err, cap, "%s: expected a number from %llu to %llu, got '%s'", name, min, max, v);
    *out = n;
    return 0;
}
