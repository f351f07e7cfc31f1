/* cirr-orthanc-setup: prepares and starts Orthanc in the cirr/orthanc image.
 *
 *   cirr-orthanc-setup prepare   (a cirr-init task, as root)
 *       write /etc/orthanc/orthanc.json from the environment (orthanc_env.h;
 *       mode 0600, owned by orthanc); give the storage folder to orthanc;
 *       with ORTHANC_PG_ENABLED, wait for PostgreSQL (ORTHANC_PG_WAIT,
 *       default 120 s) and create ORTHANC_PG_DATABASE when it is missing.
 *   cirr-orthanc-setup run       (the service, as orthanc)
 *       exec Orthanc, with --verbose or --trace from ORTHANC_VERBOSE.
 *   cirr-orthanc-setup --help
 *       the subcommands and the environment (orthanc_table), then exit 0.
 *
 * Both subcommands check the whole environment table first.
 *
 * Exit codes: 0 ok; 100 bad configuration (one line names the variable);
 * 111 a system call failed or PostgreSQL did not answer in time. */
#include "atomicfile.h"
#include "clock.h"
#include "envconf.h"
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
#include <unistd.h>

extern char **environ;

static void write_config(const struct orthanc_settings *s, uid_t uid, gid_t gid)
{
    char err[512];
    struct jnode *root = orthanc_config(s, environ, err, sizeof err);
    if (!root)
        die(100, "%s", err);
    struct strbuf sb = {0};
    jnode_write(root, &sb, 0);
    strbuf_adds(&sb, "\n");
    if (atomicfile_write(s->config_path, sb.data, sb.len, 0600, uid, gid) < 0)
        die_sys(111, "write %s", s->config_path);
    memset(sb.data, 0, sb.len);
    strbuf_free(&sb);
    jnode_free(root);
    log_msg(LOG_INFO, NULL, "wrote %s", s->config_path);
}

/* Connect to the maintenance database; NULL (after logging why) on failure. */
static PGconn *pg_connect(const struct orthanc_settings *s, int quiet)
{
    char port[8];
    snprintf(port, sizeof port, "%u", s->pg_port);
    const char *keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", NULL};
    const char *vals[] = {s->pg_host, port, s->pg_user, s->pg_password, "postgres", "5", NULL};
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

static void prepare_postgres(const struct orthanc_settings *s)
{
    if (!s->pg_enabled)
        return;
    uint64_t deadline = clock_mono_ms() + (uint64_t)s->pg_wait * 1000;
    PGconn *conn;
    int tries = 0;
    while (!(conn = pg_connect(s, tries++ % 5 != 0))) {
        if (clock_mono_ms() >= deadline)
            die(111, "PostgreSQL at %s did not accept us within %us (ORTHANC_PG_WAIT)", s->pg_host,
                s->pg_wait);
        sleep(1);
    }
    create_database(conn, s->pg_database);
    PQfinish(conn);
}

static int prepare(const struct orthanc_settings *s)
{
    struct passwd *pw = getpwnam("orthanc");
    uid_t uid = pw ? pw->pw_uid : (uid_t)-1;
    gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
    write_config(s, uid, gid);
    if (pw && getuid() == 0 && (mkdir(s->storage, 0750) == 0 || errno == EEXIST) &&
        chown(s->storage, uid, gid) < 0)
        die_sys(111, "chown %s to orthanc", s->storage);
    prepare_postgres(s);
    return 0;
}

static int run(const struct orthanc_settings *s)
{
    char *argv[4] = {"/usr/sbin/Orthanc", NULL, NULL, NULL};
    if (strcmp(s->verbose, "trace") == 0)
        argv[1] = "--trace";
    else if (envconf_bool(s->verbose) == 1)
        argv[1] = "--verbose";
    argv[argv[1] ? 2 : 1] = (char *)s->config_path;
    execv(argv[0], argv);
    die_sys(111, "exec %s", argv[0]);
}

static int help(void)
{
    printf("usage: cirr-orthanc-setup prepare|run|--help\n"
           "  prepare  as root: write the configuration, give the storage folder to\n"
           "           orthanc, and with ORTHANC_PG_ENABLED wait for PostgreSQL and\n"
           "           create the database when it is missing\n"
           "  run      as orthanc: exec Orthanc on that configuration\n"
           "Numbered variables (<N> from 0 to 99, taken in that order):\n"
           "  ORTHANC_USER_<N>=user,password   ORTHANC_MOD_<N>=[name,]AET,host,port\n"
           "  ORTHANC_PEER_<N>=name,url[,user,password]   ORTHANC_METADATA_<N>=name,number\n"
           "ORTHANC__<SECTION>__<KEY>=value sets any orthanc.json key, over all the rest.\n");
    envconf_help(stdout, orthanc_table, orthanc_table_len);
    return 0;
}

int main(int argc, char **argv)
{
    log_prog = "cirr-orthanc-setup";
    /* 1. The subcommand. */
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return help();
    if (argc != 2 || (strcmp(argv[1], "prepare") != 0 && strcmp(argv[1], "run") != 0)) {
        fprintf(stderr, "usage: cirr-orthanc-setup prepare|run\n");
        return 100;
    }
    /* 2. The whole environment table, checked before anything is done. */
    struct orthanc_settings s;
    char err[512];
    if (orthanc_settings_load(&s, err, sizeof err) < 0)
        die(100, "%s", err);
    /* 3. The work. */
    return strcmp(argv[1], "prepare") == 0 ? prepare(&s) : run(&s);
}
