/* cirr-pg-init: prepares the data folder of the cirr/postgres image. Runs
 * as a cirr-init task, as root, before the server starts.
 *
 * On an empty data folder: initdb with POSTGRES_USER and POSTGRES_PASSWORD
 * (scram-sha-256 everywhere), then POSTGRES_DB and every database in
 * POSTGRES_DATABASES=a,b,c, created in single-user mode. On every start:
 * PGDATA/cirr.conf (listen address, connections, and with POSTGRES_AUTOTUNE
 * memory settings from the container's limit by pgtune's rules).
 *
 * `cirr-pg-init --help` prints the environment it reads (pg_table).
 *
 * Exit codes: 0 ready; 100 bad configuration (names the variable);
 * 111 a system call or a PostgreSQL tool failed. */
#include "atomicfile.h"
#include "list.h"
#include "log.h"
#include "pg_settings.h"
#include "pgtune.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void read_settings(struct pg_settings *s)
{
    char err[512];
    if (pg_settings_load(s, err, sizeof err) < 0)
        die(100, "%s", err);
    struct passwd *pw = getpwnam("postgres");
    if (!pw)
        die(100, "no user 'postgres' in /etc/passwd");
    s->uid = pw->pw_uid;
    s->gid = pw->pw_gid;
}

/* Run argv as the postgres user with stdin from `input` (may be NULL). */
static int run_as_postgres(const struct pg_settings *s, char *const argv[], const char *input)
{
    int in[2] = {-1, -1};
    if (input && pipe(in) < 0)
        die_sys(111, "pipe");
    pid_t pid = fork();
    if (pid < 0)
        die_sys(111, "fork");
    if (pid == 0) {
        if (in[0] >= 0) {
            dup2(in[0], STDIN_FILENO);
            close(in[0]);
            close(in[1]);
        }
        if (getuid() == 0 && (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0))
            die_sys(111, "drop privileges to postgres");
        execv(argv[0], argv);
        die_sys(111, "exec %s", argv[0]);
    }
    if (input) {
        close(in[0]);
        size_t n = strlen(input);
        if (write(in[1], input, n) != (ssize_t)n)
            log_msg(LOG_WARN, NULL, "short write to %s", argv[0]);
        close(in[1]);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die_sys(111, "waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int folder_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 1;
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "lost+found"))
            empty = 0;
    closedir(d);
    return empty;
}

static void prepare_folder(const struct pg_settings *s)
{
    if (mkdir(s->pgdata, 0700) < 0 && errno != EEXIST)
        die_sys(111, "create %s", s->pgdata);
    if (getuid() == 0 && chown(s->pgdata, s->uid, s->gid) < 0)
        die_sys(111, "chown %s to postgres", s->pgdata);
    if (chmod(s->pgdata, 0700) < 0)
        die_sys(111, "chmod %s", s->pgdata);
}

static void write_file(const char *dir, const char *name, const char *text, const struct pg_settings *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (atomicfile_write(path, text, strlen(text), 0600, s->uid, s->gid) < 0)
        die_sys(111, "write %s", path);
}

static void append_line(const char *path, const char *line)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0 || write(fd, line, strlen(line)) < 0 || fsync(fd) < 0)
        die_sys(111, "append to %s", path);
    close(fd);
}

static void initdb(const struct pg_settings *s)
{
    char pwfile[] = "/tmp/cirr-pg-pw.XXXXXX";
    int fd = mkstemp(pwfile);
    if (fd < 0 || fchown(fd, s->uid, s->gid) < 0 ||
        write(fd, s->password, strlen(s->password)) < 0 || close(fd) < 0)
        die_sys(111, "write the initial password file");
    char exe[512], user[96], pw[96];
    snprintf(exe, sizeof exe, "%s/initdb", s->bindir);
    snprintf(user, sizeof user, "--username=%s", s->user);
    snprintf(pw, sizeof pw, "--pwfile=%s", pwfile);
    char *argv[] = {exe, "-D", (char *)s->pgdata, user, pw, "--auth=scram-sha-256",
                    "--encoding=UTF8", "--locale=C", NULL};
    log_msg(LOG_INFO, NULL, "empty data folder %s: running initdb", s->pgdata);
    int rc = run_as_postgres(s, argv, NULL);
    unlink(pwfile);
    if (rc != 0)
        die(111, "initdb failed with status %d", rc);
    char conf[4096];
    snprintf(conf, sizeof conf, "%s/postgresql.conf", s->pgdata);
    append_line(conf, "\n# settings written by cirr-pg-init at every start\ninclude_if_exists = 'cirr.conf'\n");
    write_file(s->pgdata, "pg_hba.conf",
               "# written by cirr-pg-init: passwords (scram-sha-256) for everyone\n"
               "local all all scram-sha-256\n"
               "host  all all 0.0.0.0/0 scram-sha-256\n"
               "host  all all ::/0 scram-sha-256\n", s);
}

static void create_databases(const struct pg_settings *s)
{
    struct strbuf sql = {0}, names = {0};
    char **list = list_split(s->databases, ',');
    if (strcmp(s->db, "postgres") != 0) {
        strbuf_addf(&sql, "CREATE DATABASE \"%s\" OWNER \"%s\"\n", s->db, s->user);
        strbuf_addf(&names, " %s", s->db);
    }
    for (char **db = list; *db; db++) {
        if (strcmp(*db, s->db) == 0 || strcmp(*db, "postgres") == 0)
            continue;
        strbuf_addf(&sql, "CREATE DATABASE \"%s\" OWNER \"%s\"\n", *db, s->user);
        strbuf_addf(&names, " %s", *db);
    }
    list_free(list);
    if (sql.len) {
        char exe[512];
        snprintf(exe, sizeof exe, "%s/postgres", s->bindir);
        char *argv[] = {exe, "--single", "-D", (char *)s->pgdata, "postgres", NULL};
        log_msg(LOG_INFO, NULL, "creating databases:%s", names.data);
        int rc = run_as_postgres(s, argv, sql.data);
        if (rc != 0)
            die(111, "creating the databases failed (single-user postgres exited %d)", rc);
    }
    strbuf_free(&sql);
    strbuf_free(&names);
}

static void write_settings(const struct pg_settings *s)
{
    struct strbuf c = {0};
    strbuf_addf(&c, "# written by cirr-pg-init at every start; edits are lost\n"
                    "listen_addresses = '*'\nmax_connections = %u\n", s->max_connections);
    if (s->autotune) {
        uint64_t mem = pgtune_memory_kb("");
        struct pgtune t = pgtune_compute(mem, s->max_connections);
        strbuf_addf(&c, "# POSTGRES_AUTOTUNE: %llu kB of memory\n"
                        "shared_buffers = %llukB\neffective_cache_size = %llukB\n"
                        "maintenance_work_mem = %llukB\nwork_mem = %llukB\nwal_buffers = %llukB\n"
                        "min_wal_size = %lluMB\nmax_wal_size = %lluMB\n",
                    (unsigned long long)mem, (unsigned long long)t.shared_buffers_kb,
                    (unsigned long long)t.effective_cache_size_kb,
                    (unsigned long long)t.maintenance_work_mem_kb, (unsigned long long)t.work_mem_kb,
                    (unsigned long long)t.wal_buffers_kb, (unsigned long long)t.min_wal_size_mb,
                    (unsigned long long)t.max_wal_size_mb);
        log_msg(LOG_INFO, NULL, "autotune: %llu MiB of memory: shared_buffers %llu MiB",
                (unsigned long long)mem / 1024, (unsigned long long)t.shared_buffers_kb / 1024);
    }
    write_file(s->pgdata, "cirr.conf", c.data, s);
    strbuf_free(&c);
}

static int help(void)
{
    printf("usage: cirr-pg-init [--help]\n"
           "  as root, before the server starts: on an empty data folder initdb and\n"
           "  the databases; on every start PGDATA/cirr.conf from the environment\n");
    envconf_help(stdout, pg_table, pg_table_len);
    return 0;
}

int main(int argc, char **argv)
{
    struct pg_settings s;
    log_prog = "cirr-pg-init";
    /* 1. Arguments: none but --help. */
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return help();
    if (argc != 1) {
        fprintf(stderr, "usage: cirr-pg-init [--help]\n");
        return 100;
    }
    /* 2. Configuration, all checked before anything is written. */
    read_settings(&s);
    /* 3. The folder, then the cluster when there is none yet. */
    prepare_folder(&s);
    char version[4096];
    snprintf(version, sizeof version, "%s/PG_VERSION", s.pgdata);
    if (access(version, F_OK) != 0) {
        if (!folder_is_empty(s.pgdata))
            die(100, "PGDATA=%s is not empty and holds no PostgreSQL cluster", s.pgdata);
        initdb(&s);
        create_databases(&s);
    } else {
        log_msg(LOG_INFO, NULL, "existing cluster in %s", s.pgdata);
    }
    /* 4. Settings that follow the environment on every start. */
    write_settings(&s);
    return 0;
}
