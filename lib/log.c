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
static log_text_redactor text_redactor;

static const char *const level_names[] = {
    "fatal", "error", "warning", "info", "debug", "trace",
};

void log_set_redactor(log_redactor fn) { redactor = fn; }
void log_set_text_redactor(log_text_redactor fn) { text_redactor = fn; }

char *log_redact_text(const char *text, int cut)
{
    if (text_redactor)
        return text_redactor(text, cut);
    return strdup(text);
}

/* Copy src into dst (capacity cap >= 1), cut to fit. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void log_redact(char *buf, size_t cap)
{
    if (cap == 0)
        return;
    if (text_redactor) {
        char *r = text_redactor(buf, 0);
        copy_cut(buf, cap, r ? r : "");
        free(r);
    }
    if (redactor)
        redactor(buf, cap);
}

/* The whole of a printf format, malloc'd; NULL when out of memory. */
static char *format_alloc(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

char *log_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
    char *whole = format_alloc(fmt, ap);
    char *r = whole ? log_redact_text(whole, 0) : NULL;
    copy_cut(dst, cap, r ? r : "");
    if (redactor)
        redactor(dst, cap);
    free(r);
    free(whole);
    return dst;
}

char *log_format(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vformat(dst, cap, fmt, ap);
    va_end(ap);
    return dst;
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

/* "prog[service]: level: " (after a timestamp if asked) into buf. */
static size_t line_head(char *buf, size_t cap, enum log_level level, const char *service)
{
    size_t n = log_timestamps ? log_format_time(buf, cap) : 0;
    int m;
    if (service)
        m = snprintf(buf + n, cap - n, "%s[%s]: %s: ", log_prog, service, level_names[level]);
    else
        m = snprintf(buf + n, cap - n, "%s: %s: ", log_prog, level_names[level]);
    if (m > 0)
        n += (size_t)m < cap - n ? (size_t)m : cap - n - 1;
    return n;
}

static void vlog(enum log_level level, const char *service, const char *suffix,
                 const char *fmt, va_list ap)
{
    char head[256], line[LOG_LINE_MAX];
    line_head(head, sizeof head, level, service);
    char *msg = format_alloc(fmt, ap);
    size_t n = strlen(head) + (msg ? strlen(msg) : 0) + (suffix ? strlen(suffix) + 2 : 0) + 1;
    char *whole = msg ? malloc(n) : NULL;
    if (whole)
        snprintf(whole, n, "%s%s%s%s", head, msg, suffix ? ": " : "", suffix ? suffix : "");
    /* Redacted whole, cut only then: out of memory, the message is lost,
     * never written unredacted. */
    char *r = whole ? log_redact_text(whole, 0) : NULL;
    copy_cut(line, sizeof line - 1, r ? r : head);
    if (redactor)
        redactor(line, sizeof line - 1);
    free(r);
    free(whole);
    free(msg);
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
