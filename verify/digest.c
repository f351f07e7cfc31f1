/* digest.c: file and buffer digests over mbedTLS's SHA-256 and MD5. */
#include "digest.h"

#include <errno.h>
#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <string.h>
#include <unistd.h>

struct hasher {
    enum digest_kind kind;
    mbedtls_sha256_context sha;
    mbedtls_md5_context md5;
};

static void hasher_start(struct hasher *h, enum digest_kind kind)
{
    h->kind = kind;
    mbedtls_sha256_init(&h->sha);
    mbedtls_md5_init(&h->md5);
    if (kind == DIGEST_SHA256)
        mbedtls_sha256_starts_ret(&h->sha, 0);
    else
        mbedtls_md5_starts_ret(&h->md5);
}

static void hasher_update(struct hasher *h, const unsigned char *p, size_t n)
{
    if (h->kind == DIGEST_SHA256)
        mbedtls_sha256_update_ret(&h->sha, p, n);
    else
        mbedtls_md5_update_ret(&h->md5, p, n);
}

static void hasher_finish(struct hasher *h, unsigned char *out)
{
    if (h->kind == DIGEST_SHA256)
        mbedtls_sha256_finish_ret(&h->sha, out);
    else
        mbedtls_md5_finish_ret(&h->md5, out);
    mbedtls_sha256_free(&h->sha);
    mbedtls_md5_free(&h->md5);
}

int digest_fd(int fd, off_t offset, uint64_t len, enum digest_kind kind, unsigned char *out)
{
    static unsigned char buf[1 << 16];
    struct hasher h;
    hasher_start(&h, kind);
    while (len > 0) {
        size_t want = len < sizeof buf ? (size_t)len : sizeof buf;
        ssize_t got = pread(fd, buf, want, offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            int e = got < 0 ? errno : EIO;
            hasher_finish(&h, out);
            if (len == UINT64_MAX && got == 0)
                return 0;
            errno = e;
            return -1;
        }
        hasher_update(&h, buf, (size_t)got);
        offset += got;
        if (len != UINT64_MAX)
            len -= (uint64_t)got;
    }
    hasher_finish(&h, out);
    return 0;
}

void sha256_buf(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    mbedtls_sha256_ret(data, len, out, 0);
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c, int lower_only)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (!lower_only && c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *text, size_t textlen, unsigned char *out, size_t n, int lower_only)
{
    if (textlen != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(text[2 * i], lower_only), lo = hex_value(text[2 * i + 1], lower_only);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}
