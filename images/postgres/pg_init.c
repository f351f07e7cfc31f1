/* cirr-pg-init: prepares the data folder of the cirr/postgres image. Runs
 * as a cirr-init task, as root, before the server starts.
 *
 * On an empty data folder: initdb with POSTGRES_USER and POSTGRES_PASSWORD
 * (scram-sha-256 everywhere), then POSTGRES_DB and every database in
 * POSTGRES_DATABASES=a,b,c, created in single-user mode. On every start:
 * PGDATA/cirr.conf (listen address, connections, and with POSTGRES_AUTOTUNE
 * memory settings from the container's limit by pgtune's rules).
 *
 * Exit codes: 0 ready; 100 bad configuration (names the variable);
 * 111 a system call or a PostgreSQL tool failed. */
#include "atomicfile.h"
#include "log.h"
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

struct settings {
    const char *pgdata, *bindir, *user, *password, *db, *databases;
    unsigned max_connections;
    int autotune;
    uid_t uid;
    gid_t gid;
};

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static void check_name(const char *var, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        die(100, "%s: database and user names are 1 to 63 characters", var);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            die(100, "%s: '%s' has a character other than letters, digits, '_' and '-'", var, name);
}

static void read_settings(struct settings *s)
{
    s->pgdata = env_or("PGDATA", "/var/lib/postgresql/data");
    s->bindir = env_or("PG_BINDIR", "/usr/lib/postgresql/15/bin");
    s->user = env_or("POSTGRES_USER", "postgres");
    s->password = getenv("POSTGRES_PASSWORD");
    s->db = env_or("POSTGRES_DB", s->user);
    s->databases = env_or("POSTGRES_DATABASES", "");
    const char *tune = env_or("POSTGRES_AUTOTUNE", "");
    s->autotune = *tune && strcmp(tune, "0") && strcmp(tune, "false") && strcmp(tune, "no");
    char *end;
    unsigned long mc = strtoul(env_or("POSTGRES_MAX_CONNECTIONS", "100"), &end, 10);
    if (*end || mc < 5 || mc > 10000)
        die(100, "POSTGRES_MAX_CONNECTIONS: expected a number from 5 to 10000");
    s->max_connections = (unsigned)mc;
    if (!s->password || !*s->password)
        die(100, "POSTGRES_PASSWORD is not set (or POSTGRES_PASSWORD_FILE, or "
                 "/run/secrets/POSTGRES_PASSWORD): refusing to start without a password");
    check_name("POSTGRES_USER", s->user);
    check_name("POSTGRES_DB", s->db);
    struct passwd *pw = getpwnam("postgres");
    if (!pw)
        die(100, "no user 'postgres' in /etc/passwd");
    s->uid = pw->pw_uid;
    s->gid = pw->pw_gid;
}

/* Run argv as the postgres user with stdin from `input` (may be NULL). */
static int run_as_postgres(const struct settings *s, char *const argv[], const char *input)
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

static void prepare_folder(const struct settings *s)
{
    if (mkdir(s->pgdata, 0700) < 0 && errno != EEXIST)
        die_sys(111, "create %s", s->pgdata);
    if (getuid() == 0 && chown(s->pgdata, s->uid, s->gid) < 0)
        die_sys(111, "chown %s to postgres", s->pgdata);
    if (chmod(s->pgdata, 0700) < 0)
        die_sys(111, "chmod %s", s->pgdata);
}

static void write_file(const char *dir, const char *name, const char *text, const struct settings *s)
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

static void initdb(const struct settings *s)
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

static void create_databases(const struct settings *s)
{
    struct strbuf sql = {0}, names = {0};
    char *list = xstrdup(s->databases);
    if (strcmp(s->db, "postgres") != 0) {
        strbuf_addf(&sql, "CREATE DATABASE \"%s\" OWNER \"%s\"\n", s->db, s->user);
        strbuf_addf(&names, " %s", s->db);
    }
    for (char *save = NULL, *db = strtok_r(list, ",", &save); db; db = strtok_r(NULL, ",", &save)) {
        while (*db == ' ')
            db++;
        if (!*db || strcmp(db, s->db) == 0 || strcmp(db, "postgres") == 0)
            continue;
        check_name("POSTGRES_DATABASES", db);
        strbuf_addf(&sql, "CREATE DATABASE \"%s\" OWNER \"%s\"\n", db, s->user);
        strbuf_addf(&names, " %s", db);
    }
    free(list);
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

static void write_settings(const struct settings *s)
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

int main(void)
{
    struct settings s;
    log_prog = "cirr-pg-init";
    /* 1. Configuration, all checked before anything is written. */
    read_settings(&s);
    /* 2. The folder, then the cluster when there is none yet. */
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
    /* 3. Settings that follow the environment on every start. */
    write_settings(&s);
    return 0;
}
