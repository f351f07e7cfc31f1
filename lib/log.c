/* log.c: the single place that writes program messages to stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *log_prog = "cirr";
int log_verbosity = LOG_INFO;
int log_timestamps = 0;

static log_redactor redactor;

static const char *const level_names[] = {
    "fatal", "error", "warning", "info", "debug", "trace",
};

void log_set_redactor(log_redactor fn) { redactor = fn; }

void log_redact(char *buf, size_t cap)
{
    if (redactor)
        redactor(buf, cap);
}

size_t log_format_time(char *buf, size_t cap)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, cap - n, ".%03ldZ ", ts.tv_nsec / 1000000);
    return n + (m > 0 ? (size_t)m : 0);
}

char *log_escape(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p; p++) {
        int plain = *p >= 0x20 && *p <= 0x7e;
        if (n + (plain ? 1 : 4) >= cap)
            break;
        if (plain) {
            dst[n++] = (char)*p;
        } else {
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = hex[*p >> 4];
            dst[n++] = hex[*p & 0xf];
        }
    }
    dst[n] = '\0';
    return dst;
}

static void vlog(enum log_level level, const char *service, const char *suffix,
                 const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = 0;
    if (log_timestamps)
        n = log_format_time(line, sizeof line);
    int m;
    if (service)
        m = snprintf(line + n, sizeof line - n, "%s[%s]: %s: ", log_prog, service,
                     level_names[level]);
    else
        m = snprintf(line + n, sizeof line - n, "%s: %s: ", log_prog, level_names[level]);
    if (m > 0)
        n += (size_t)m < sizeof line - n ? (size_t)m : sizeof line - n - 1;
    vsnprintf(line + n, sizeof line - n, fmt, ap);
    n = strlen(line);
    if (suffix && n < sizeof line - 1)
        snprintf(line + n, sizeof line - n, ": %s", suffix);
    log_redact(line, sizeof line - 1);
    n = strlen(line);
    line[n++] = '\n';
    /* One write per line so that lines from concurrent writers never mix. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

void log_msg(enum log_level level, const char *service, const char *fmt, ...)
{
    if ((int)level > log_verbosity)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, service, NULL, fmt, ap);
    va_end(ap);
}

void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_FATAL, NULL, NULL, fmt, ap);
    va_end(ap);
    exit(code);
}

void die_sys(int code, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_FATAL, NULL, strerror(saved), fmt, ap);
    va_end(ap);
    exit(code);
}
