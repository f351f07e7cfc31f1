/* orthanc_env.h: orthanc.json from the environment.
 *
 * (a) The seed stacks' variables, with derekmerck/orthanc-confd meanings
 *     (README: "Orthanc configuration"), and (b) the official image's JSON
 *     path convention for everything else: ORTHANC__SECTION__KEY=value,
 *     each name part turned to CamelCase (DICOM_WEB -> DicomWeb). (b) wins. */
#ifndef CIRR_ORTHANC_ENV_H
#define CIRR_ORTHANC_ENV_H

#include "jsontree.h"

#include <stddef.h>

/* The opt-out for tests: ORTHANC_AUTH_DISABLED must hold this exact text. */
#define ORTHANC_NO_AUTH_CONSENT "tests-only-i-understand"

struct orthanc_env {
    char **vars;          /* NAME=VALUE list, NULL-terminated */
};

/* Build the configuration. Returns the tree (jnode_free) or NULL with one
 * line in err naming the variable at fault (never its value). */
struct jnode *orthanc_config(const struct orthanc_env *env, char *err, size_t cap);

/* CamelCase of one name part: "DICOM_WEB" -> "DicomWeb" (with exceptions
 * such as POSTGRESQL -> PostgreSQL). */
void orthanc_camel(const char *upper, char *out, size_t cap);

/* Value of NAME in env, or NULL. */
const char *orthanc_getenv(const struct orthanc_env *env, const char *name);

/* Parse a boolean (true/false, yes/no, 1/0, on/off); -1 when invalid. */
int orthanc_bool(const char *s);

#endif
