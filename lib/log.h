/* log.h: one stderr line per event, "prog[service]: level: message".
 *
 * Every program sets log_prog once. Messages pass through a redaction hook
 * (log_set_text_redactor) so that a secret value can never reach a log line,
 * even when it turns up inside a peer's error text. The hook always sees a
 * whole text: a line is cut to LOG_LINE_MAX only after it was redacted, so
 * that a cut can never leave the first half of a secret visible. */
#ifndef CIRR_LOG_H
#define CIRR_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_FATAL = 0, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

extern const char *log_prog;   /* program name, static storage */
extern int log_verbosity;      /* messages above this level are dropped */
extern int log_timestamps;     /* prefix an ISO 8601 UTC timestamp */

/* The longest line written, newline included; longer ones are cut. */
#define LOG_LINE_MAX 2048

/* A redactor of a whole text: returns a malloc'd copy of text with every
 * secret masked, or NULL when out of memory. cut says that text is only the
 * beginning of a longer one (its end was cut off before it got here), so
 * that the beginning of a secret at its very end must be masked too. */
typedef char *(*log_text_redactor)(const char *text, int cut);
void log_set_text_redactor(log_text_redactor fn);

/* The installed redactors applied to the whole of text: a malloc'd copy the
 * caller frees, or NULL when out of memory. */
char *log_redact_text(const char *text, int cut);

/* snprintf into dst (capacity cap >= 1), except that the whole text is
 * redacted first and cut to fit only then. Returns dst ("" when out of
 * memory: never an unredacted text). */
char *log_format(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *log_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* The older in-place hook, still honoured (after the text redactor): it
 * rewrites buf (NUL-terminated, capacity cap), which may already be cut. */
typedef void (*log_redactor)(char *buf, size_t cap);
void log_set_redactor(log_redactor fn);

/* Apply the installed redactors to buf in place (the result is cut to cap). */
void log_redact(char *buf, size_t cap);

/* service may be NULL. A trailing newline is added. */
void log_msg(enum log_level level, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log at LOG_FATAL and exit(code). */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Like die(), appending ": strerror(errno)". */
void die_sys(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* A value from outside (a peer's AE title, a dataset's element, a remote
 * error text) made safe to put in a log line: every byte outside printable
 * ASCII (0x20-0x7e), a newline above all, becomes \xNN, so that no value
 * can end a line or forge another. Writes into dst (capacity cap >= 1),
 * truncating between escapes when it does not fit; src NULL gives "".
 * Returns dst, to be used as a printf argument. */
char *log_escape(char *dst, size_t cap, const char *src);

/* Room for the escaped form of a value of at most n bytes. */
#define LOG_ESCAPED_SIZE(n) (4 * (n) + 1)

/* Format "YYYY-MM-DDTHH:MM:SS.mmmZ " into buf (cap >= 32); returns length. */
size_t log_format_time(char *buf, size_t cap);

#endif
