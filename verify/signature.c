/* signature.c: MANIFEST.sig's format, and ECDSA over mbedTLS. */
#include "signature.h"

#include "digest.h"
#include "envconf.h"

#include <mbedtls/base64.h>
#include <string.h>

int signature_parse(const char *text, size_t len, struct signature *s, char *err, size_t cap)
{
    size_t plen = strlen(SIGNATURE_PREFIX);
    memset(s, 0, sizeof *s);
    if (len > SIGNATURE_MAX_TEXT)
        return envconf_fail(err, cap, "longer than %d bytes", SIGNATURE_MAX_TEXT);
    if (len == 0 || text[len - 1] != '\n' || memchr(text, '\n', len) != text + len - 1)
        return envconf_fail(err, cap, "not one line ending in a newline (truncated?)");
    if (len < plen || memcmp(text, SIGNATURE_PREFIX, plen) != 0)
        return envconf_fail(err, cap, "does not start with '%s'", SIGNATURE_PREFIX);
    const char *id = text + plen, *b64 = id + KEY_ID_LEN + 1;
    unsigned char raw[KEY_ID_LEN / 2];
    if (len < plen + KEY_ID_LEN + 2 || id[KEY_ID_LEN] != ' ' ||
        hex_decode(id, KEY_ID_LEN, raw, sizeof raw, 1) < 0)
        return envconf_fail(err, cap, "the key id is not 16 lower-case hex digits");
    memcpy(s->key_id, id, KEY_ID_LEN);
    size_t blen = (size_t)(text + len - 1 - b64);
    if (blen == 0 || mbedtls_base64_decode(s->der, sizeof s->der, &s->der_len,
                                           (const unsigned char *)b64, blen) != 0 ||
        s->der_len < 8)
        return envconf_fail(err, cap, "the signature is not base64 of a DER ECDSA signature");
    return 0;
}

size_t signature_format(const struct signature *s, char *out)
{
    size_t n = strlen(SIGNATURE_PREFIX), b64len = 0;
    memcpy(out, SIGNATURE_PREFIX, n);
    memcpy(out + n, s->key_id, KEY_ID_LEN);
    n += KEY_ID_LEN;
    out[n++] = ' ';
    mbedtls_base64_encode((unsigned char *)out + n, SIGNATURE_MAX_TEXT - n - 2, &b64len, s->der,
                          s->der_len);
    n += b64len;
    out[n++] = '\n';
    out[n] = '\0';
    return n;
}

int signature_make(mbedtls_pk_context *priv, const void *data, size_t len, struct signature *s)
{
    unsigned char hash[SHA256_LEN], der[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    size_t der_len = 0;
    memset(s, 0, sizeof *s);
    sha256_buf(data, len, hash);
    if (key_id(priv, s->key_id) < 0 ||
        mbedtls_pk_sign(priv, MBEDTLS_MD_SHA256, hash, sizeof hash, der, &der_len, keys_rng, NULL) != 0 ||
        der_len > SIGNATURE_MAX_DER)
        return -1;
    memcpy(s->der, der, der_len);
    s->der_len = der_len;
    return 0;
}

int signature_check(mbedtls_pk_context *pub, const void *data, size_t len, const struct signature *s)
{
    unsigned char hash[SHA256_LEN];
    sha256_buf(data, len, hash);
    return mbedtls_pk_verify(pub, MBEDTLS_MD_SHA256, hash, sizeof hash, s->der, s->der_len) == 0 ? 0
                                                                                              : -1;
}
