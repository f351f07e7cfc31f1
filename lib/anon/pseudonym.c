/* pseudonym.c: keyed pseudonyms, on OpenSSL's HMAC-SHA-256. */
#include "anon/pseudonym.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

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
    if (!HMAC(EVP_sha256(), key->bytes, (int)key->len, msg, dl + vl, mac, &len))
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
