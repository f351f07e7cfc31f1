/* strbuf.h: a growable byte buffer. Allocation failure is fatal (exit 111):
 * cirr-init has no way to carry on without memory. */
#ifndef CIRR_STRBUF_H
#define CIRR_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data; /* NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s escaped for the inside of a JSON string. */
void strbuf_add_json(struct strbuf *sb, const char *s);
/* Give the data to the caller (never NULL) and reset sb. */
char *strbuf_take(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

/* malloc/strdup that die on failure. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
