/* pg_settings.h: cirr-pg-init's environment, one envconf table (pg_table,
 * which also prints --help), checked whole before anything is written. */
#ifndef CIRR_PG_SETTINGS_H
#define CIRR_PG_SETTINGS_H

#include "envconf.h"

#include <stddef.h>
#include <sys/types.h>

struct pg_settings {
    const char *pgdata, *bindir, *user, *password, *db, *databases;
    unsigned max_connections;
    int autotune;
    uid_t uid; /* the postgres user's: set by the program, not from the environment */
    gid_t gid;
};

extern const struct envconf_var pg_table[];
extern const size_t pg_table_len;

/* Fill s from the environment (POSTGRES_DB defaults to POSTGRES_USER) and
 * check the names: POSTGRES_USER, POSTGRES_DB and every item of
 * POSTGRES_DATABASES are 1 to 63 letters, digits, '_' and '-'. 0, or -1 with
 * one line in err naming the variable (never the password). */
int pg_settings_load(struct pg_settings *s, char *err, size_t cap);

#endif
