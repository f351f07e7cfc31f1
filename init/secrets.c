/* secrets.c: loads NAME_FILE and /run/secrets/NAME secrets (see secrets.h). */
#include "secrets.h"

#include "textfile.h"

#include "list.h"
#include "redact.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define SECRET_MAX (64 * 1024)
#define SECRET_MIN 3            /* characters; see check_lengths */
#define LOADED_MAX 256

/* Names of variables loaded from files (static storage for the run). */
static char *loaded[LOADED_MAX];
static size_t loaded_count;

static void remember(const char *name)
{
    if (loaded_count < LOADED_MAX)
        loaded[loaded_count++] = xstrdup(name);
}

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static int named_like_secret(const char *name);
static const char *secret_value(const char *e);

/* Is VAR=path (VAR being NAME_FILE) a secret reference? Many tools use
 * *_FILE for ordinary files (SSL_CERT_FILE, TF_CLI_CONFIG_FILE, ...), and
 * loading those would break them. So: when the path is in the secrets
 * folder, when NAME is named like a secret, or when NAME is listed in
 * CIRR_FILE_ENV=NAME1,NAME2 (extra). */
static int is_reference(const char *name, size_t n, const char *path, const char *dir,
                        char *const *extra)
{
    char buf[256];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n);
    buf[n] = '\0';
    size_t dlen = dir ? strlen(dir) : 0;
    if (dlen && strncmp(path, dir, dlen) == 0 && path[dlen] == '/')
        return 1;
    return named_like_secret(buf) || list_contains(extra, buf);
}

/* Collect the names NAME for which NAME_FILE is set (environ changes as we go). */
static size_t file_variables(const char *dir, char *const *extra, char ***names_out)
{
    size_t count = 0;
    char **names = NULL;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq - *e <= 5 || strncmp(eq - 5, "_FILE", 5) != 0)
            continue;
        size_t n = (size_t)(eq - *e) - 5;
        if (!valid_name(*e, n) || !is_reference(*e, n, eq + 1, dir, extra))
            continue;
        names = xrealloc(names, (count + 1) * sizeof *names);
        names[count] = xmalloc(n + 1);
        memcpy(names[count], *e, n);
        names[count][n] = '\0';
        count++;
    }
    *names_out = names;
    return count;
}

/* Set NAME to value (then wiped and freed) and remember it is a secret. */
static void set_secret(const char *name, char *value)
{
    setenv(name, value, 1);
    memset(value, 0, strlen(value));
    free(value);
    remember(name);
}

static int load_file_variable(const char *name, char *msg, size_t cap)
{
    char file_var[256];
    snprintf(file_var, sizeof file_var, "%s_FILE", name);
    const char *path = getenv(file_var);
    const char *direct = getenv(name);
    if (!path || !*path) {
        unsetenv(file_var);
        return 0;
    }
    if (direct && *direct) {
        snprintf(msg, cap, "both %s and %s are set; set only one", name, file_var);
        return -1;
    }
    char *value = textfile_read(path, SECRET_MAX);
    if (!value) {
        snprintf(msg, cap, "cannot read %s=%s: %s", file_var, path, strerror(errno));
        return -1;
    }
    set_secret(name, value);
    unsetenv(file_var);
    return 0;
}

static int load_secrets_dir(const char *dir, char *msg, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no secrets folder: nothing to load */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (name[0] == '.' || !valid_name(name, strlen(name)) || getenv(name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        char *value = textfile_read(path, SECRET_MAX);
        if (!value) {
            snprintf(msg, cap, "cannot read secret file %s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        set_secret(name, value);
    }
    closedir(d);
    return rc;
}

/* A secret of one or two characters cannot be masked without masking those
 * characters in every line: it is refused at start. */
static int check_lengths(char *msg, size_t cap)
{
    for (char **e = environ; *e; e++) {
        const char *value = secret_value(*e);
        if (value && *value && strlen(value) < SECRET_MIN) {
            snprintf(msg, cap, "%.*s: a secret must have at least %d characters (a shorter one "
                     "could only be kept out of the logs by masking those characters everywhere)",
                     (int)(value - 1 - *e), *e, SECRET_MIN);
            return -1;
        }
    }
    return 0;
}

int secrets_load(const char *dir, const char *file_env, char *msg, size_t cap)
{
    char **names;
    char **extra = list_split(file_env ? file_env : "", ',');
    size_t count = file_variables(dir, extra, &names);
    list_free(extra);
    int rc = 0;
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = load_file_variable(names[i], msg, cap);
        free(names[i]);
    }
    free(names);
    if (rc == 0 && dir)
        rc = load_secrets_dir(dir, msg, cap);
    if (rc == 0)
        rc = check_lengths(msg, cap);
    return rc;
}

static int named_like_secret(const char *name)
{
    static const char *const words[] = {"PASSWORD", "PASSWD", "SECRET", "TOKEN"};
    char upper[256];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof upper; n++)
        upper[n] = (char)(name[n] >= 'a' && name[n] <= 'z' ? name[n] - 32 : name[n]);
    upper[n] = '\0';
    if (n >= 5 && strcmp(upper + n - 5, "_FILE") == 0)
        return 0; /* a path to a secret, not one */
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strstr(upper, words[i]))
            return 1;
    return n >= 4 && strcmp(upper + n - 4, "_KEY") == 0;
}

int secrets_is_secret(const char *name)
{
    for (size_t i = 0; i < loaded_count; i++)
        if (strcmp(loaded[i], name) == 0)
            return 1;
    return named_like_secret(name);
}

/* The value of environment entry e ("NAME=value") when NAME holds a
 * secret; else NULL. */
static const char *secret_value(const char *e)
{
    const char *eq = strchr(e, '=');
    char name[256];
    size_t n = eq ? (size_t)(eq - e) : 0;
    if (!eq || n >= sizeof name)
        return NULL;
    memcpy(name, e, n);
    name[n] = '\0';
    return secrets_is_secret(name) ? eq + 1 : NULL;
}

char *secrets_redact_text(const char *text, int cut)
{
    size_t len = strlen(text);
    unsigned char *hit = calloc(len ? len : 1, 1);
    if (!hit)
        return NULL;
    int rc = 0;
    for (char **e = environ; *e && rc == 0; e++) {
        const char *value = secret_value(*e);
        if (value && strlen(value) >= SECRET_MIN)
            rc = redact_mark(value, text, len, cut, hit);
    }
    char *out = rc == 0 ? redact_apply(text, len, hit) : NULL;
    free(hit);
    return out;
}

void secrets_redact(char *buf, size_t cap)
{
    if (cap == 0)
        return;
    char *r = secrets_redact_text(buf, 0);
    size_t n = r ? strlen(r) : 0;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, r ? r : "", n);
    buf[n] = '\0';
    free(r);
}

