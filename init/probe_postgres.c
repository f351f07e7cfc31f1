/* probe_postgres.c: the postgres probe, over libpq. Healthy means the server
 * accepts connections (PQping), or with `query = yes`, that we can log in and
 * run SELECT 1. */
#include "probe.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First line of a libpq message, without its trailing newline. */
static void first_line(char *dst, size_t cap, const char *msg)
{
    size_t n = strcspn(msg, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, msg, n);
    dst[n] = '\0';
}

static int ping(const struct probe *p, char *reason, size_t cap)
{
    switch (PQping(p->target)) {
    case PQPING_OK: return 0;
    case PQPING_REJECT: snprintf(reason, cap, "server rejects connections (starting up?)"); break;
    case PQPING_NO_RESPONSE: snprintf(reason, cap, "no response from the server"); break;
    default: snprintf(reason, cap, "invalid conninfo"); break;
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
        snprintf(reason, cap, "out of memory");
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
    return p->pg_query ? query(p, reason, cap) : ping(p, reason, cap);
}
