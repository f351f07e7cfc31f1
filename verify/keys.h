/* keys.h: cirr-verify's keys: ECDSA on P-256 (the sysroot's mbedTLS 2.28
 * has no Ed25519), stored as PEM, named by a key id: the first 16 hex
 * digits of the SHA-256 of the public key's DER (SubjectPublicKeyInfo). */
#ifndef CIRR_VERIFY_KEYS_H
#define CIRR_VERIFY_KEYS_H

#include <mbedtls/pk.h>
#include <stddef.h>

#define KEY_ID_LEN 16
#define KEY_FILE_MAX 16384

/* A random number generator seeded from the system's entropy, for key
 * generation and for the blinding of (deterministic) signatures. */
int keys_rng(void *unused, unsigned char *out, size_t len);

/* Load a public key from PEM text (NUL-terminated) or a file: 0, or -1
 * with one line in err. Only P-256 ECDSA keys are accepted. */
int key_public_from_pem(mbedtls_pk_context *pk, const char *pem, char *err, size_t cap);
int key_public_from_file(mbedtls_pk_context *pk, const char *path, char *err, size_t cap);

/* Load a private key from a file: 0, -1 with err (bad key: exit 100), or
 * -2 with err (the file could not be read: exit 111). The file's bytes
 * are wiped from memory after parsing. The key is never put in err. */
int key_private_from_file(mbedtls_pk_context *pk, const char *path, char *err, size_t cap);

/* The key id of pk's public half into out (KEY_ID_LEN + 1 bytes). */
int key_id(mbedtls_pk_context *pk, char *out);

/* A new P-256 key into pk (initialised): 0, or -1 with err. */
int key_generate(mbedtls_pk_context *pk, char *err, size_t cap);

/* Read a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer: 0, or -1 with errno set (EFBIG: larger than max). */
int read_small_file(const char *path, size_t max, char **data, size_t *len);

#endif
