/* utf8.h: is this text well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF)? */
#ifndef CIRR_VERIFY_UTF8_H
#define CIRR_VERIFY_UTF8_H

#include <stddef.h>

/* The length in bytes of the well-formed UTF-8 sequence at s (at most n
 * bytes available), or 0 when it is not one. */
size_t utf8_sequence(const unsigned char *s, size_t n);

/* 1 when all n bytes of s are well-formed UTF-8, else 0. */
int utf8_valid(const char *s, size_t n);

#endif
