/* pg_settings.c: see pg_settings.h. */
#include "pg_settings.h"

#include "list.h"

#include <string.h>

#define S struct pg_settings
const struct envconf_var pg_table[] = {
    ENVCONF_STR("POSTGRES_PASSWORD", NULL, S, password,
                "the superuser's password (also from POSTGRES_PASSWORD_FILE or /run/secrets)"),
    ENVCONF_STR("POSTGRES_USER", "postgres", S, user, "the superuser's name"),
    ENVCONF_STR("POSTGRES_DB", "", S, db, "the database made on an empty volume (default: POSTGRES_USER)"),
    ENVCONF_NUM("POSTGRES_MAX_CONNECTIONS", "100", 5, 10000, S, max_connections,
                "the server's max_connections"),
    ENVCONF_STR("POSTGRES_DATABASES", "", S, databases, "a,b,c: more databases made on an empty volume"),
    ENVCONF_BOOL("POSTGRES_AUTOTUNE", "false", S, autotune,
                 "memory settings from the container's memory limit, by pgtune's rules"),
    ENVCONF_STR("PGDATA", "/var/lib/postgresql/data", S, pgdata, "the data folder"),
    ENVCONF_STR("PG_BINDIR", "/usr/lib/postgresql/15/bin", S, bindir, "where initdb and postgres are"),
};
#undef S
const size_t pg_table_len = sizeof pg_table / sizeof *pg_table;

/* A database or user name as cirr-pg-init quotes it into SQL: 1 to 63
 * letters, digits, '_' and '-'. */
static int check_name(const char *var, const char *name, char *err, size_t cap)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return envconf_fail(err, cap, "%s: database and user names are 1 to 63 characters", var);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return envconf_fail(err, cap, "%s: '%s' has a character other than letters, digits, '_' and '-'",
                                var, name);
    return 0;
}

int pg_settings_load(struct pg_settings *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (envconf_load(pg_table, pg_table_len, s, err, cap) < 0)
        return -1;
    if (!*s->db)
        s->db = s->user;
    if (check_name("POSTGRES_USER", s->user, err, cap) < 0 || check_name("POSTGRES_DB", s->db, err, cap) < 0)
        return -1;
    char **dbs = list_split(s->databases, ',');
    int rc = 0;
    for (char **db = dbs; *db && rc == 0; db++)
        rc = check_name("POSTGRES_DATABASES", *db, err, cap);
    list_free(dbs);
    return rc;
}
