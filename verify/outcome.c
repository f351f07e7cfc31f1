/* outcome.c: problems logged as they are found, and counted. */
#include "outcome.h"

#include "log.h"

#include <stdarg.h>

static void line(const char *fmt, va_list ap)
{
    char buf[LOG_LINE_MAX];
    log_vformat(buf, sizeof buf, fmt, ap);
    log_msg(LOG_ERROR, NULL, "%s", buf);
}

void outcome_mismatch(struct outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(fmt, ap);
    va_end(ap);
    o->mismatches++;
}

void outcome_failure(struct outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    line(fmt, ap);
    va_end(ap);
    o->failures++;
}

int outcome_exit(const struct outcome *o)
{
    if (o->failures)
        return EXIT_SYSTEM;
    return o->mismatches ? EXIT_MISMATCH : 0;
}
