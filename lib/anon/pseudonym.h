/* pseudonym.h: keyed pseudonyms (HMAC-SHA-256 under the project key) of
 * original values; each kind has its own domain, so a UID and an ID with
 * the same text do not map to related values. */
#ifndef CIRR_ANON_PSEUDONYM_H
#define CIRR_ANON_PSEUDONYM_H

#include "anon/anon.h"

/* The key set up once for the values of one dataset (calling thread
 * only): between pseudonym_begin(key) and pseudonym_end(), each hash under
 * key starts from the prepared HMAC state instead of fetching HMAC and
 * deriving the key's pads again. Without it (or when setting up fails),
 * each hash is a one-shot HMAC: the same values either way. */
void pseudonym_begin(const struct anon_key *key);
void pseudonym_end(void);

/* "2.25." + the first 128 bits of HMAC(key, "uid" 0 uid), in decimal
 * (at most 44 characters: out needs 45). */
#define ANON_UID_SIZE 45
void pseudonym_uid(const struct anon_key *key, const char *uid, char out[ANON_UID_SIZE]);

/* prefix + 13 base32 characters (65 bits) of HMAC(key, domain 0 value). */
void pseudonym_token(const struct anon_key *key, const char *domain, char prefix, const char *value,
                     char out[ANON_TOKEN_SIZE]);

/* The date shift in days, from -3652 to -1 (back by up to ten years): the
 * same for every instance of one PatientID under one key. */
int pseudonym_day_shift(const struct anon_key *key, const char *patient_id);

#endif
