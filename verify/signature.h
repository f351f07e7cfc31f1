/* signature.h: MANIFEST.sig, one line (doc/verify.md):
 *
 *   cirr-signature 1 ecdsa-p256-sha256 <key id> <base64 of the DER signature>
 *
 * The signature is ECDSA P-256 over the SHA-256 of the manifest's exact
 * bytes, deterministic (RFC 6979): the same manifest and key always give
 * the same file. The key id only names the key for messages; trust comes
 * from checking the signature against the public key, never from the id. */
#ifndef CIRR_VERIFY_SIGNATURE_H
#define CIRR_VERIFY_SIGNATURE_H

#include "keys.h"

#include <stddef.h>

#define SIGNATURE_PREFIX "cirr-signature 1 ecdsa-p256-sha256 "
#define SIGNATURE_MAX_DER 80   /* an ECDSA P-256 DER signature is at most 72 bytes */
#define SIGNATURE_MAX_TEXT 256

struct signature {
    char key_id[KEY_ID_LEN + 1];
    unsigned char der[SIGNATURE_MAX_DER];
    size_t der_len;
};

/* Parse a MANIFEST.sig's len bytes: 0, or -1 with what is wrong in err. */
int signature_parse(const char *text, size_t len, struct signature *s, char *err, size_t cap);

/* The line (with its '\n') into out (SIGNATURE_MAX_TEXT bytes): its length. */
size_t signature_format(const struct signature *s, char *out);

/* Sign len bytes of data with the private key: 0, or -1. */
int signature_make(mbedtls_pk_context *priv, const void *data, size_t len, struct signature *s);

/* 0 when s is pub's signature of data's len bytes, else -1. */
int signature_check(mbedtls_pk_context *pub, const void *data, size_t len, const struct signature *s);

#endif
