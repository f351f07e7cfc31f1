/* secrets.h: the watcher's secrets (HEC token, Orthanc and PostgreSQL
 * passwords): from NAME, NAME_FILE or the seed's names, kept in memory only,
 * and masked in every log line (lib/redact via the log's text redactor). */
#ifndef WATCH_SECRETS_H
#define WATCH_SECRETS_H

#include <stddef.h>

struct watch_conf;

/* Fill c->hec_token, c->orthanc_password, c->pg_password (NULL when not
 * set) and install the log redactor. 0, or -1 with err naming the variable
 * (never the value). */
int secrets_load(struct watch_conf *c, char *err, size_t cap);
void secrets_free(struct watch_conf *c);

/* A whole small file (at most 64 KiB, no NUL bytes) as a malloc'd string,
 * trailing newlines cut (lib/textfile). 0, or -1 with errno set. */
int secrets_read_file(const char *path, char **out);

#endif
