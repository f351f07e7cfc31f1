/* secrets.h: secrets from NAME_FILE variables and from /run/secrets.
 *
 * NAME_FILE=path sets NAME from the file (trailing newlines stripped) and
 * removes NAME_FILE, when it is a secret reference: path inside the secrets
 * folder, NAME named like a secret, or NAME listed in CIRR_FILE_ENV (other
 * *_FILE variables, like SSL_CERT_FILE, belong to other tools); NAME and
 * NAME_FILE both non-empty is an error (the docker-library convention). A
 * file DIR/NAME sets NAME when NAME is unset (the convention of Orthanc's
 * official image). Values are never printed. */
#ifndef CIRR_SECRETS_H
#define CIRR_SECRETS_H

#include <stddef.h>

/* Load secrets into the process environment. dir is the secrets folder
 * (normally /run/secrets; a missing folder is fine); file_env, a comma list
 * of extra NAMEs whose NAME_FILE is a secret reference (CIRR_FILE_ENV; may
 * be NULL). A secret of one or two characters is refused: it could not be
 * masked without masking those characters in every line. Returns 0, or -1
 * with one line in msg naming the variable and file (never a value). */
int secrets_load(const char *dir, const char *file_env, char *msg, size_t cap);

/* Nonzero when NAME holds a secret: loaded from a file, or named like one
 * (contains PASSWORD, PASSWD, SECRET, TOKEN or ends in _KEY). */
int secrets_is_secret(const char *name);

/* text with every secret value in it, in any form it can take there
 * (redact.h), replaced by "[redacted]": the log's text redactor. cut: text
 * is the beginning of a longer text (see log_text_redactor). Returns a
 * malloc'd string, or NULL when out of memory. */
char *secrets_redact_text(const char *text, int cut);

/* The same in place: buf (capacity cap) redacted, then cut to fit. */
void secrets_redact(char *buf, size_t cap);

#endif
