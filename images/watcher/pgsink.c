/* pgsink.c: the PostgreSQL sink (libpq). One table per index:
 *   CREATE TABLE IF NOT EXISTS "INDEX" (uid text PRIMARY KEY, event jsonb NOT NULL,
 *                                       indexed_at timestamptz NOT NULL DEFAULT now())
 * created when the sink connects; a batch is one transaction of upserts by
 * UID, so that a batch sent twice (at least once) leaves one row per UID. */
#include "sink.h"

#include "event.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgsink {
    struct watcher *w;
    PGconn *conn;
};

void *pgsink_new(struct watcher *w)
{
    struct pgsink *p = calloc(1, sizeof *p);
    if (p)
        p->w = w;
    return p;
}

static void pg_free(void *ctx)
{
    struct pgsink *p = ctx;
    if (p && p->conn)
        PQfinish(p->conn);
    free(p);
}

/* One statement without parameters; 0, or -1 with the server's message. */
static int exec(struct pgsink *p, const char *sql, char *why, size_t cap)
{
    PGresult *r = PQexec(p->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(why, cap, "%s", PQerrorMessage(p->conn));
    PQclear(r);
    return ok ? 0 : -1;
}

/* Connect (again) and create the tables of every route's index. */
static int connect_pg(struct pgsink *p, char *why, size_t cap)
{
    const struct watch_conf *c = &p->w->conf;
    const char *keys[] = {"dbname", "password", "connect_timeout", "application_name", NULL};
    const char *values[] = {c->pg, c->pg_password, "10", "cirr-watcher", NULL};
    if (!c->pg_password)
        keys[1] = "connect_timeout", values[1] = "10", keys[2] = "application_name", values[2] = "cirr-watcher",
        keys[3] = NULL;
    if (p->conn)
        PQfinish(p->conn);
    p->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        snprintf(why, cap, "cannot connect: %s", PQerrorMessage(p->conn));
        return -1;
    }
    for (unsigned i = 0; i < c->nroutes; i++) {
        char sql[512];
        if (!c->routes[i].index[0])
            continue; /* an upload route: no table */
        snprintf(sql, sizeof sql,
                 "CREATE TABLE IF NOT EXISTS \"%s\" (uid text PRIMARY KEY, event jsonb NOT NULL, "
                 "indexed_at timestamptz NOT NULL DEFAULT now())",
                 c->routes[i].index); /* index names are [a-z0-9_] (route.c) */
        if (exec(p, sql, why, cap) < 0)
            return -1;
    }
    log_msg(LOG_INFO, "pg", "connected; tables ready");
    return 0;
}

/* Upsert one outbox line. 0, -1 with the server's message, or -2 when
 * the line is not an outbox line (no retry can help). */
static int upsert(struct pgsink *p, char *line, char *why, size_t cap)
{
    char *f[FIELD_COUNT], sql[256];
    if (event_fields(line, f) < 0 || strspn(f[FIELD_INDEX], "abcdefghijklmnopqrstuvwxyz0123456789_") !=
                                         strlen(f[FIELD_INDEX])) {
        snprintf(why, cap, "not an outbox line");
        return -2;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\" (uid, event) VALUES ($1, $2::jsonb) ON CONFLICT (uid) DO UPDATE "
             "SET event = EXCLUDED.event, indexed_at = now()",
             f[FIELD_INDEX]);
    const char *params[2] = {f[FIELD_UID], f[FIELD_JSON]};
    PGresult *r = PQexecParams(p->conn, sql, 2, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(why, cap, "%s", PQerrorMessage(p->conn));
    PQclear(r);
    return ok ? 0 : -1;
}

static enum send_result pg_send(void *ctx, char *batch, size_t len, char *why, size_t cap)
{
    struct pgsink *p = ctx;
    (void)len;
    if ((!p->conn || PQstatus(p->conn) != CONNECTION_OK) && connect_pg(p, why, cap) < 0)
        return SEND_RETRY;
    if (exec(p, "BEGIN", why, cap) < 0)
        return SEND_RETRY;
    char *save = NULL;
    int rc;
    for (char *line = strtok_r(batch, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if ((rc = upsert(p, line, why, cap)) < 0) {
            /* bad JSON or a bad line cannot succeed on a retry; a lost connection may */
            int data_error = rc == -2 || (PQstatus(p->conn) == CONNECTION_OK && strstr(why, "invalid input syntax"));
            char ignored[256];
            exec(p, "ROLLBACK", ignored, sizeof ignored);
            return data_error ? SEND_DEAD : SEND_RETRY;
        }
    if (exec(p, "COMMIT", why, cap) < 0)
        return SEND_RETRY;
    return SEND_OK;
}

const struct sink_ops pgsink_ops = {"pg", pg_send, pg_free};
