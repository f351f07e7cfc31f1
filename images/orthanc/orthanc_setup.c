/* cirr-orthanc-setup: prepares and starts Orthanc in the cirr/orthanc image.
 *
 *   cirr-orthanc-setup prepare   (a cirr-init task, as root)
 *       write /etc/orthanc/orthanc.json from the environment (orthanc_env.h;
 *       mode 0600, owned by orthanc); give the storage folder to orthanc;
 *       with ORTHANC_PG_ENABLED, wait for PostgreSQL (ORTHANC_PG_WAIT,
 *       default 120 s) and create ORTHANC_PG_DATABASE when it is missing.
 *   cirr-orthanc-setup run       (the service, as orthanc)
 *       exec Orthanc, with --verbose or --trace from ORTHANC_VERBOSE.
 *
 * Exit codes: 0 ok; 100 bad configuration (one line names the variable);
 * 111 a system call failed or PostgreSQL did not answer in time. */
#include "atomicfile.h"
#include "jsontree.h"
#include "log.h"
#include "orthanc_env.h"
#include "strbuf.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static void write_config(uid_t uid, gid_t gid)
{
    char err[512];
    struct orthanc_env env = {environ};
    struct jnode *root = orthanc_config(&env, err, sizeof err);
    if (!root)
        die(100, "%s", err);
    struct strbuf sb = {0};
    jnode_write(root, &sb, 0);
    strbuf_adds(&sb, "\n");
    const char *path = env_or("CIRR_ORTHANC_CONFIG", "/etc/orthanc/orthanc.json");
    if (atomicfile_write(path, sb.data, sb.len, 0600, uid, gid) < 0)
        die_sys(111, "write %s", path);
    memset(sb.data, 0, sb.len);
    strbuf_free(&sb);
    jnode_free(root);
    log_msg(LOG_INFO, NULL, "wrote %s", path);
}

/* Connect to the maintenance database; NULL (after logging why) on failure. */
static PGconn *pg_connect(int quiet)
{
    const char *keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", NULL};
    const char *vals[] = {env_or("ORTHANC_PG_HOST", "postgres"), env_or("ORTHANC_PG_PORT", "5432"),
                          env_or("ORTHANC_PG_USER", "postgres"), env_or("ORTHANC_PG_PASSWORD", ""),
                          "postgres", "5", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 0);
    if (conn && PQstatus(conn) == CONNECTION_OK)
        return conn;
    if (!quiet && conn)
        log_msg(LOG_INFO, NULL, "waiting for PostgreSQL at %s:%s: %.*s", vals[0], vals[1],
                (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
    PQfinish(conn);
    return NULL;
}

static void create_database(PGconn *conn, const char *db)
{
    const char *params[] = {db};
    PGresult *r = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
                               params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die(111, "cannot list databases: %s", PQerrorMessage(conn));
    int exists = PQntuples(r) > 0;
    PQclear(r);
    if (exists) {
        log_msg(LOG_INFO, NULL, "database %s exists", db);
        return;
    }
    char *ident = PQescapeIdentifier(conn, db, strlen(db));
    struct strbuf sql = {0};
    strbuf_addf(&sql, "CREATE DATABASE %s", ident);
    PQfreemem(ident);
    r = PQexec(conn, sql.data);
    strbuf_free(&sql);
    /* another replica may have created it at the same moment */
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !strstr(PQerrorMessage(conn), "already exists"))
        die(111, "cannot create database %s: %s", db, PQerrorMessage(conn));
    PQclear(r);
    log_msg(LOG_INFO, NULL, "created database %s", db);
}

static void prepare_postgres(void)
{
    int enabled = orthanc_bool(env_or("ORTHANC_PG_ENABLED", "false"));
    if (enabled != 1)
        return;
    long wait = strtol(env_or("ORTHANC_PG_WAIT", "120"), NULL, 10);
    time_t deadline = time(NULL) + (wait > 0 ? wait : 120);
    PGconn *conn;
    int tries = 0;
    while (!(conn = pg_connect(tries++ % 5 != 0))) {
        if (time(NULL) >= deadline)
            die(111, "PostgreSQL at %s did not accept us within %lds (ORTHANC_PG_WAIT)",
                env_or("ORTHANC_PG_HOST", "postgres"), wait);
        sleep(1);
    }
    create_database(conn, env_or("ORTHANC_PG_DATABASE", "orthanc"));
    PQfinish(conn);
}

static int prepare(void)
{
    struct passwd *pw = getpwnam("orthanc");
    uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
    gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
    write_config(uid, gid);
    const char *storage = env_or("CIRR_ORTHANC_STORAGE", "/var/lib/orthanc/db");
    if (pw && getuid() == 0 && (mkdir(storage, 0750) == 0 || errno == EEXIST) &&
        chown(storage, uid, gid) < 0)
        die_sys(111, "chown %s to orthanc", storage);
    prepare_postgres();
    return 0;
}

static int run(void)
{
    const char *v = env_or("ORTHANC_VERBOSE", "false");
    const char *config = env_or("CIRR_ORTHANC_CONFIG", "/etc/orthanc/orthanc.json");
    char *argv[4] = {"/usr/sbin/Orthanc", NULL, NULL, NULL};
    int b = orthanc_bool(v);
    if (strcmp(v, "trace") == 0)
        argv[1] = "--trace";
    else if (b == 1)
        argv[1] = "--verbose";
    else if (b < 0)
        die(100, "ORTHANC_VERBOSE: expected true, false or trace, got '%s'", v);
    argv[argv[1] ? 2 : 1] = (char *)config;
    execv(argv[0], argv);
    die_sys(111, "exec %s", argv[0]);
}

int main(int argc, char **argv)
{
    log_prog = "cirr-orthanc-setup";
    if (argc == 2 && strcmp(argv[1], "prepare") == 0)
        return prepare();
    if (argc == 2 && strcmp(argv[1], "run") == 0)
        return run();
    fprintf(stderr, "usage: cirr-orthanc-setup prepare|run\n");
    return 100;
}
