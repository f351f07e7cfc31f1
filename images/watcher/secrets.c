/* secrets.c: see secrets.h. */
#include "secrets.h"

#include "envconf.h"
#include "log.h"
#include "redact.h"
#include "textfile.h"
#include "watchconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_FILE_MAX 65536

/* The values masked in log lines (set once at start, before any thread). */
static const char *masked[3];

int secrets_read_file(const char *path, char **out)
{
    *out = textfile_read(path, SECRET_FILE_MAX);
    return *out ? 0 : -1;
}

/* NAME, else NAME_FILE's contents, for name then the seed's name. */
static int one(const char *name, const char *seed, char **out, char *err, size_t cap)
{
    const char *names[2] = {name, seed};
    *out = NULL;
    for (int i = 0; i < 2; i++) {
        char file_var[96];
        const char *v = envconf_get(names[i], NULL);
        if (v) {
            *out = strdup(v);
            return *out ? 0 : envconf_fail(err, cap, "%s: out of memory", names[i]);
        }
        snprintf(file_var, sizeof file_var, "%s_FILE", names[i]);
        const char *path = envconf_get(file_var, NULL);
        if (path && secrets_read_file(path, out) < 0)
            return envconf_fail(err, cap, "%s: cannot read the file it names (%s)", file_var, strerror(errno));
        if (path)
            return 0;
    }
    return 0;
}

static char *redact_secrets(const char *text, int cut)
{
    size_t len = strlen(text);
    unsigned char *hit = calloc(len ? len : 1, 1);
    if (!hit)
        return NULL;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        if (masked[i] && *masked[i])
            rc = redact_mark(masked[i], text, len, cut, hit);
    char *out = rc == 0 ? redact_apply(text, len, hit) : NULL;
    free(hit);
    return out;
}

int secrets_load(struct watch_conf *c, char *err, size_t cap)
{
    if (one("WATCH_HEC_TOKEN", "SPLUNK_HEC_TOKEN", &c->hec_token, err, cap) < 0 ||
        one("WATCH_ORTHANC_PASSWORD", "ORTHANC_PASSWORD", &c->orthanc_password, err, cap) < 0 ||
        one("WATCH_PG_PASSWORD", "POSTGRES_PASSWORD", &c->pg_password, err, cap) < 0)
        return -1;
    if (c->hec_token && strpbrk(c->hec_token, "\r\n"))
        return envconf_fail(err, cap, "WATCH_HEC_TOKEN: holds a line break");
    masked[0] = c->hec_token;
    masked[1] = c->orthanc_password;
    masked[2] = c->pg_password;
    log_set_text_redactor(redact_secrets);
    return 0;
}

void secrets_free(struct watch_conf *c)
{
    masked[0] = masked[1] = masked[2] = NULL;
    free(c->hec_token);
    free(c->orthanc_password);
    free(c->pg_password);
    c->hec_token = c->orthanc_password = c->pg_password = NULL;
}
