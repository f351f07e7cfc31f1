/* redact.h: finds a secret value in a text in whatever form it took on its
 * way there, and masks it.
 *
 * A value reaches a log line or the status file in many forms: as it is;
 * with its newlines turned into spaces (`echo $VAR`, a reason flattened to
 * one line), CR LF into one space, LF into CR LF; percent-encoded, wholly
 * or in part, in either case, with '+' for a space (URLs, query strings);
 * escaped for JSON or C (\" \\ \/ \n \t \uXXXX \xNN, as log_escape
 * writes); quoted for a libpq conninfo (\' and \\) or for SQL ('' and "").
 * Each byte of the value is matched against every form it may take, so any
 * mix of forms is found, not only the few that a list of whole variants
 * would hold.
 *
 * Knows nothing of where values come from (secrets.c decides which values
 * are secret) and never prints. */
#ifndef CIRR_REDACT_H
#define CIRR_REDACT_H

#include <stddef.h>

#define REDACT_MASK "[redacted]"

/* Set hit[i] for every byte text[i] (len bytes, no NUL among them) that
 * belongs to an occurrence of value, in any of its forms. cut: text is the
 * beginning of a longer text that was cut off; a beginning of value running
 * into its end is marked as well, since the rest of it was lost with the
 * cut. An empty value matches nothing. Returns 0, or -1 when out of memory
 * (hit is then incomplete: the caller must not use the text). */
int redact_mark(const char *value, const char *text, size_t len, int cut, unsigned char *hit);

/* text (len bytes) with each run of marked bytes replaced by REDACT_MASK:
 * a malloc'd string, or NULL when out of memory. */
char *redact_apply(const char *text, size_t len, const unsigned char *hit);

#endif
