/* digest.h: SHA-256 and MD5 of files and buffers (mbedTLS), and hex. */
#ifndef CIRR_VERIFY_DIGEST_H
#define CIRR_VERIFY_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHA256_LEN 32
#define MD5_LEN 16

enum digest_kind { DIGEST_SHA256, DIGEST_MD5 };

/* The digest of len bytes of fd from offset (pread; len UINT64_MAX: to
 * the end of the file). 0, or -1 with errno set (EIO: the file ended
 * before len bytes). out holds SHA256_LEN or MD5_LEN bytes. */
int digest_fd(int fd, off_t offset, uint64_t len, enum digest_kind kind, unsigned char *out);

void sha256_buf(const void *data, size_t len, unsigned char out[SHA256_LEN]);

/* n bytes as 2n lower-case hex digits and a NUL into out. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* Exactly 2n hex digits (lower case only when lower_only) into n bytes:
 * 0, or -1 when text is anything else. */
int hex_decode(const char *text, size_t textlen, unsigned char *out, size_t n, int lower_only);

#endif
