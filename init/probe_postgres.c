/* probe_postgres.c: the postgres probe, over libpq. Healthy means the server
 * accepts connections (PQping), or with `query = yes`, that we can log in and
 * run SELECT 1.
 *
 * libpq's messages may quote the conninfo, and a password may be in it:
 * they pass through the redactor whole, and a conninfo that libpq cannot
 * parse is never quoted at all, since libpq then quotes the words around
 * the fault, which may be half a password that no redactor can know. */
#include "probe.h"

#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First line of a libpq message, redacted as a whole first. */
static void first_line(char *dst, size_t cap, const char *msg)
{
    log_format(dst, cap, "%s", msg);
    dst[strcspn(dst, "\n")] = '\0';
}

/* Whether libpq can parse the conninfo; if not, a reason without its words. */
static int conninfo_parses(const struct probe *p, char *reason, size_t cap)
{
    char *err = NULL;
    PQconninfoOption *options = PQconninfoParse(p->target, &err);
    if (options) {
        PQconninfoFree(options);
        return 1;
    }
    if (err) {
        memset(err, 0, strlen(err));
        PQfreemem(err);
    }
    log_format(reason, cap, "invalid conninfo: libpq cannot parse it (write a value with spaces or "
               "quotes as 'value', with \\' and \\\\ inside; give a password with password-env)");
    return 0;
}

static int ping(const struct probe *p, char *reason, size_t cap)
{
    switch (PQping(p->target)) {
    case PQPING_OK: return 0;
    case PQPING_REJECT: log_format(reason, cap, "server rejects connections (starting up?)"); break;
    case PQPING_NO_RESPONSE: log_format(reason, cap, "no response from the server"); break;
    default: log_format(reason, cap, "invalid conninfo"); break;
    }
    return 1;
}

static int query(const struct probe *p, char *reason, size_t cap)
{
    const char *password = p->password_env ? getenv(p->password_env) : NULL;
    if (password)
        setenv("PGPASSWORD", password, 1); /* this process is the probe child */
    PGconn *conn = PQconnectdb(p->target);
    int result = 1;
    if (!conn) {
        log_format(reason, cap, "out of memory");
        return 1;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        first_line(reason, cap, PQerrorMessage(conn));
    } else {
        PGresult *r = PQexec(conn, "SELECT 1");
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            result = 0;
        else
            first_line(reason, cap, PQerrorMessage(conn));
        PQclear(r);
    }
    PQfinish(conn);
    return result;
}

int probe_postgres(const struct probe *p, char *reason, size_t cap)
{
    char seconds[16];
    /* libpq's own connect timeout, inside the supervisor's hard limit */
    snprintf(seconds, sizeof seconds, "%u", p->timeout_ms / 1000 ? p->timeout_ms / 1000 : 1);
    setenv("PGCONNECT_TIMEOUT", seconds, 0);
    if (!conninfo_parses(p, reason, cap))
        return 1;
    return p->pg_query ? query(p, reason, cap) : ping(p, reason, cap);
}
