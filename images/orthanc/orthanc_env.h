/* orthanc_env.h: orthanc.json from the environment.
 *
 * (a) The seed stacks' variables, with derekmerck/orthanc-confd meanings
 *     (README: "Orthanc configuration"): the single ones in one envconf
 *     table (orthanc_table, which also prints --help), the numbered ones
 *     (ORTHANC_MOD_N, _PEER_N, _USER_N, _METADATA_N) read from the list;
 * (b) the official image's JSON path convention for everything else:
 *     ORTHANC__SECTION__KEY=value, each name part turned to CamelCase
 *     (DICOM_WEB -> DicomWeb). (b) wins. */
#ifndef CIRR_ORTHANC_ENV_H
#define CIRR_ORTHANC_ENV_H

#include "envconf.h"
#include "jsontree.h"

#include <stddef.h>

/* The opt-out for tests: ORTHANC_AUTH_DISABLED must hold this exact text. */
#define ORTHANC_NO_AUTH_CONSENT "tests-only-i-understand"

/* What orthanc_table fills. Strings point into the environment; "" is unset. */
struct orthanc_settings {
    const char *config_path, *storage;  /* cirr-orthanc-setup's own files */
    const char *name, *password, *auth_disabled, *verbose;
    char aet[17];
    int store_compressed, sync_cmove, wbv_enabled;
    unsigned max_patients, jobs, stable_age, scu_timeout;
    unsigned long long max_size;
    int pg_enabled, pg_store_dicom;
    const char *pg_host, *pg_user, *pg_password, *pg_database;
    unsigned pg_port, pg_wait;
};

extern const struct envconf_var orthanc_table[];
extern const size_t orthanc_table_len;

/* Fill s from the environment by orthanc_table, and check what the table
 * cannot (ORTHANC_VERBOSE: true, false or trace). 0, or -1 with one line in
 * err naming the variable. */
int orthanc_settings_load(struct orthanc_settings *s, char *err, size_t cap);

/* Build the configuration from s and the NAME=VALUE list vars
 * (NULL-terminated: the numbered variables and ORTHANC__ paths). Returns the
 * tree (jnode_free) or NULL with one line in err naming the variable at
 * fault (never a secret's value). */
struct jnode *orthanc_config(const struct orthanc_settings *s, char *const *vars, char *err, size_t cap);

/* CamelCase of one name part: "DICOM_WEB" -> "DicomWeb" (with exceptions
 * such as POSTGRESQL -> PostgreSQL). */
void orthanc_camel(const char *upper, char *out, size_t cap);

#endif
