/* pseudonym.c: keyed pseudonyms, on OpenSSL's HMAC-SHA-256. */
#include "anon/pseudonym.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* HMAC, fetched once for the process (a fetch costs more than the hashes
 * of a small instance); shared by every thread, never freed. */
static EVP_MAC *hmac_algorithm;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_cache; /* its destructor frees a thread's prepared HMAC */

/* The hashes a thread computed last under its prepared key, by message
 * (domain 0 value), one slot a message hash: the instances of a series
 * repeat most of their values (study, series, frame of reference, patient,
 * the SOP instance in the file meta and the dataset), and a hash costs
 * more than the rest of an element's de-identification. */
enum { CACHE_SLOTS = 128, CACHE_MSG = 96 };

struct cached_mac {
    unsigned char len; /* 0: empty */
    unsigned char msg[CACHE_MSG];
    unsigned char mac[32];
};

/* A thread's HMAC prepared under one key (setting up the digest and the
 * key's pads costs about as much as five hashes): kept from one dataset
 * to the next while the key's bytes are the same, with its cache. */
struct prepared_hmac {
    EVP_MAC_CTX *ctx;
    struct anon_key key;
    struct cached_mac cache[CACHE_SLOTS];
};

static void free_prepared(void *p)
{
    struct prepared_hmac *c = p;
    EVP_MAC_CTX_free(c->ctx);
    OPENSSL_cleanse(c, sizeof *c); /* the key, and original values in the cache */
    free(c);
}

static void setup_once(void)
{
    hmac_algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (pthread_key_create(&thread_cache, free_prepared) != 0)
        hmac_algorithm = NULL; /* no cache: the one-shot path */
}

/* Set between pseudonym_begin and pseudonym_end: the thread's prepared
 * HMAC for the dataset at hand, and its key. */
static __thread struct prepared_hmac *prepared;

static struct prepared_hmac *thread_prepared(void)
{
    struct prepared_hmac *c = pthread_getspecific(thread_cache);
    if (c || !(c = calloc(1, sizeof *c)))
        return c;
    if (pthread_setspecific(thread_cache, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

static int same_key(const struct anon_key *a, const struct anon_key *b)
{
    return a->len == b->len && !memcmp(a->bytes, b->bytes, a->len);
}

void pseudonym_begin(const struct anon_key *key)
{
    prepared = NULL;
    pthread_once(&hmac_once, setup_once);
    struct prepared_hmac *c = hmac_algorithm ? thread_prepared() : NULL;
    if (!c)
        return;
    if (c->ctx && same_key(&c->key, key)) {
        prepared = c;
        return;
    }
    EVP_MAC_CTX_free(c->ctx);
    OPENSSL_cleanse(c->cache, sizeof c->cache); /* another key's hashes */
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    c->ctx = EVP_MAC_CTX_new(hmac_algorithm);
    if (!c->ctx || EVP_MAC_init(c->ctx, key->bytes, key->len, params) != 1) {
        EVP_MAC_CTX_free(c->ctx);
        c->ctx = NULL;
        return;
    }
    c->key = *key;
    prepared = c;
}

void pseudonym_end(void) { prepared = NULL; }

static struct cached_mac *cache_slot(const unsigned char *msg, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ msg[i]) * 16777619u;
    return &prepared->cache[h % CACHE_SLOTS];
}

/* HMAC of msg from the prepared state: from the cache, or from a copy of
 * the state, so the key's pads are not derived again. 0, or -1 (then the
 * caller goes one-shot). */
static int prepared_hash(const unsigned char *msg, size_t len, unsigned char mac[32])
{
    struct cached_mac *slot = len <= CACHE_MSG ? cache_slot(msg, len) : NULL;
    if (slot && slot->len == len && !memcmp(slot->msg, msg, len)) {
        memcpy(mac, slot->mac, 32);
        return 0;
    }
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(prepared->ctx);
    size_t out = 0;
    int ok = c && EVP_MAC_update(c, msg, len) == 1 && EVP_MAC_final(c, mac, &out, 32) == 1 && out == 32;
    EVP_MAC_CTX_free(c);
    if (ok && slot) {
        slot->len = (unsigned char)len;
        memcpy(slot->msg, msg, len);
        memcpy(slot->mac, mac, 32);
    }
    return ok ? 0 : -1;
}

/* HMAC(key, domain 0 value) into mac (32 bytes). */
static void keyed_hash(const struct anon_key *key, const char *domain, const char *value,
                       unsigned char mac[32])
{
    size_t dl = strlen(domain) + 1, vl = strlen(value);
    unsigned char small[512], *msg = small;
    if (dl + vl > sizeof small && !(msg = malloc(dl + vl))) {
        memset(mac, 0, 32); /* out of memory: callers see a constant, never the original */
        return;
    }
    memcpy(msg, domain, dl);
    memcpy(msg + dl, value, vl);
    unsigned len = 32;
    if (!(prepared && same_key(&prepared->key, key) && prepared_hash(msg, dl + vl, mac) == 0) &&
        !HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, dl + vl, mac, &len))
        memset(mac, 0, 32);
    if (msg != small)
        free(msg);
}

void pseudonym_uid(const struct anon_key *key, const char *uid, char out[ANON_UID_SIZE])
{
    unsigned char mac[32];
    keyed_hash(key, "uid", uid, mac);
    unsigned __int128 n = 0;
    for (int i = 0; i < 16; i++)
        n = n << 8 | mac[i];
    char digits[40];
    int d = 0;
    do {
        digits[d++] = (char)('0' + (int)(n % 10));
        n /= 10;
    } while (n);
    memcpy(out, "2.25.", 5);
    for (int i = 0; i < d; i++)
        out[5 + i] = digits[d - 1 - i];
    out[5 + d] = '\0';
}

void pseudonym_token(const struct anon_key *key, const char *domain, char prefix, const char *value,
                     char out[ANON_TOKEN_SIZE])
{
    static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char mac[32];
    keyed_hash(key, domain, value, mac);
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | mac[i];
    out[0] = prefix;
    for (int i = 0; i < 12; i++)
        out[1 + i] = base32[(bits >> (59 - 5 * i)) & 31];
    out[13] = base32[((bits & 15) << 1) | (mac[8] >> 7)];
    out[14] = '\0';
}

int pseudonym_day_shift(const struct anon_key *key, const char *patient_id)
{
    unsigned char mac[32];
    keyed_hash(key, "days", patient_id, mac);
    uint32_t n = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
    return -(int)(1 + n % 3652);
}
