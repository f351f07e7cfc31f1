/* setupconf.c: see setupconf.h. */
#include "setupconf.h"

#include "../watcher/secrets.h"
#include "envconf.h"
#include "list.h"
#include "log.h"
#include "redact.h"
#include "strbuf.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define C struct setup_conf
static const struct envconf_var setup_vars[] = {
    /* where Splunk's API is, and how it is trusted and called */
    ENVCONF_STR("SPLUNK_MGMT_URL", "https://splunk:8089", C, url, "Splunk's management API"),
    ENVCONF_STR("SPLUNK_MGMT_CA", "", C, ca, "CA bundle that verifies the API's certificate (empty: the system's)"),
    ENVCONF_BOOL("SPLUNK_MGMT_INSECURE", "false", C, insecure,
                 "true: do not verify the API's certificate (Splunk's own self-signed one)"),
    ENVCONF_STR("SPLUNK_USER", "admin", C, user, "the administrator Splunk's API is called as"),
    ENVCONF_STR("SPLUNK_PASSWORD_FILE", "", C, password_file,
                "a file holding the administrator's password (a Docker secret); required unless SPLUNK_PASSWORD is set"),
    ENVCONF_NUM("SPLUNK_WAIT_S", "300", 0, 86400, C, wait_s,
                "seconds to keep trying while Splunk is unreachable or answers 503 (starting)"),
    /* what it sets up */
    ENVCONF_STR("SPLUNK_INDEXES", "dicom,pacs,dose_reports,dose_incidents", C, indexes_text, "the indexes to create, comma list"),
    ENVCONF_BOOL("SPLUNK_HEC_SSL", "false", C, hec_ssl, "true: HEC speaks HTTPS (enableSSL=1); false: HTTP, as the seed ran it"),
    ENVCONF_TXT("SPLUNK_HEC_TOKEN_NAME", "cirr", 0, C, token_name, "the HEC token's name"),
    ENVCONF_STR("SPLUNK_HEC_TOKEN_FILE", "", C, token_file,
                "a file holding the token's value, a GUID (the secret splunk_hec_token); required unless SPLUNK_HEC_TOKEN is set"),
    ENVCONF_STR("SPLUNK_HEC_INDEX", "", C, hec_index_text, "the token's default index (empty: the first of SPLUNK_INDEXES)"),
    ENVCONF_TXT("SPLUNK_SOURCETYPE", "_json", 0, C, sourcetype,
                "the watchers' sourcetype (WATCH_HEC_SOURCETYPE): its props.conf stanza"),
    ENVCONF_NUM("SPLUNK_JSON_TRUNCATE", "500000", 1, 999999999, C, truncate,
                "props.conf TRUNCATE of that sourcetype: bytes of a JSON event kept"),
};
#undef C
#define NVARS (sizeof setup_vars / sizeof setup_vars[0])

/* The secrets' values: not in the table (a value is never printed), but
 * in the same Environment part. cirr-init sets them from the *_FILE
 * variables when those name a Docker secret. */
static const char secrets_help[] =
    "  SPLUNK_PASSWORD\n"
    "      the administrator's password itself (secret), as cirr-init sets it from SPLUNK_PASSWORD_FILE\n"
    "  SPLUNK_HEC_TOKEN\n"
    "      the token's value itself (secret), as cirr-init sets it from SPLUNK_HEC_TOKEN_FILE\n";

void setup_conf_help(FILE *out)
{
    envconf_help(out, setup_vars, NVARS);
    fputs(secrets_help, out);
}

/* The values masked in log lines: the password and the token. */
static const char *masked[2];

static char *mask_secrets(const char *text, int cut)
{
    size_t len = strlen(text);
    unsigned char *hit = calloc(len + 1, 1);
    if (!hit)
        return NULL;
    int rc = 0;
    for (size_t i = 0; i < sizeof masked / sizeof *masked; i++)
        if (rc == 0 && masked[i] && *masked[i])
            rc = redact_mark(masked[i], text, len, cut, hit);
    char *out = rc == 0 ? redact_apply(text, len, hit) : NULL;
    free(hit);
    return out;
}

/* A secret: NAME's value (cirr-init's), else the contents of NAME_FILE. */
static int secret(const char *name, const char *file_var, const char *path, char **out, char *err, size_t cap)
{
    const char *value = envconf_get(name, NULL);
    if (value) {
        *out = strdup(value);
        return *out ? 0 : envconf_fail(err, cap, "%s: out of memory", name);
    }
    if (!*path)
        return envconf_fail(err, cap, "%s is required", file_var);
    if (secrets_read_file(path, out) < 0)
        return envconf_fail(err, cap, "%s=%s: %s", file_var, path,
                            errno == EINVAL ? "not a small text file" : strerror(errno));
    if (!**out)
        return envconf_fail(err, cap, "%s=%s: the file is empty", file_var, path);
    return 0;
}

static int only(const char *text, const char *allowed, size_t longest)
{
    size_t n = strlen(text);
    return n > 0 && n <= longest && strspn(text, allowed) == n;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define LETTERS_DIGITS LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* ^[a-z0-9][a-z0-9_-]{0,79}$: a name Splunk takes for an index. */
static int index_name(const char *s)
{
    return *s && strchr(LOWER_DIGITS, *s) && only(s, LOWER_DIGITS "_-", 80);
}

/* 8-4-4-4-12 hexadecimal digits. */
static int guid(const char *s)
{
    static const unsigned groups[] = {8, 4, 4, 4, 12};
    for (size_t g = 0; g < 5; g++) {
        size_t n = strspn(s, "0123456789abcdefABCDEF");
        if (n != groups[g] || s[n] != (g < 4 ? '-' : '\0'))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* http(s)://host[:port]: libcurl's own URL parser says. */
static int mgmt_url(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && *host &&
             (!strcmp(scheme, "http") || !strcmp(scheme, "https"));
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* The indexes and the token's index. */
static int check_indexes(struct setup_conf *c, char *err, size_t cap)
{
    c->indexes = list_split(c->indexes_text, ',');
    if (!c->indexes[0])
        return envconf_fail(err, cap, "SPLUNK_INDEXES=%s: '' is no index name (a-z, 0-9, _ and -)", c->indexes_text);
    for (char **i = c->indexes; *i; i++)
        if (!index_name(*i))
            return envconf_fail(err, cap, "SPLUNK_INDEXES=%s: '%s' is no index name (a-z, 0-9, _ and -)",
                                c->indexes_text, *i);
    struct strbuf joined = {0};
    for (char **i = c->indexes; *i; i++)
        strbuf_addf(&joined, "%s%s", joined.len ? "," : "", *i);
    c->indexes_joined = strbuf_take(&joined);
    c->hec_index = *c->hec_index_text ? c->hec_index_text : c->indexes[0];
    if (!list_contains(c->indexes, c->hec_index))
        return envconf_fail(err, cap, "SPLUNK_HEC_INDEX=%s: not one of SPLUNK_INDEXES", c->hec_index);
    return 0;
}

/* Everything but the secrets. */
static int check(struct setup_conf *c, char *err, size_t cap)
{
    if (!*c->password_file && !envconf_get("SPLUNK_PASSWORD", NULL))
        return envconf_fail(err, cap, "SPLUNK_PASSWORD_FILE is required");
    if (!*c->token_file && !envconf_get("SPLUNK_HEC_TOKEN", NULL))
        return envconf_fail(err, cap, "SPLUNK_HEC_TOKEN_FILE is required");
    if (!mgmt_url(c->url))
        return envconf_fail(err, cap, "SPLUNK_MGMT_URL=%s: https://host:port", c->url);
    if (check_indexes(c, err, cap) < 0)
        return -1;
    if (!only(c->token_name, LETTERS_DIGITS "_-", 64))
        return envconf_fail(err, cap, "SPLUNK_HEC_TOKEN_NAME=%s: letters, digits, _ and -", c->token_name);
    if (!only(c->sourcetype, LETTERS_DIGITS "_:.-", 100))
        return envconf_fail(err, cap, "SPLUNK_SOURCETYPE=%s: letters, digits, _ : . and -", c->sourcetype);
    return 0;
}

int setup_conf_load(struct setup_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(setup_vars, NVARS, c, err, cap) < 0 || check(c, err, cap) < 0)
        return -1;
    if (secret("SPLUNK_PASSWORD", "SPLUNK_PASSWORD_FILE", c->password_file, &c->password, err, cap) < 0)
        return -1;
    masked[0] = c->password;
    log_set_text_redactor(mask_secrets);
    if (secret("SPLUNK_HEC_TOKEN", "SPLUNK_HEC_TOKEN_FILE", c->token_file, &c->token, err, cap) < 0)
        return -1;
    masked[1] = c->token;
    if (!guid(c->token) && envconf_get("SPLUNK_HEC_TOKEN", NULL))
        return envconf_fail(err, cap, "SPLUNK_HEC_TOKEN: the token is not a GUID");
    if (!guid(c->token))
        return envconf_fail(err, cap, "SPLUNK_HEC_TOKEN_FILE=%s: the token is not a GUID", c->token_file);
    return 0;
}

void setup_conf_free(struct setup_conf *c)
{
    masked[0] = masked[1] = NULL;
    list_free(c->indexes);
    free(c->indexes_joined);
    c->indexes_joined = NULL;
    free(c->password);
    free(c->token);
    c->indexes = NULL;
    c->password = c->token = NULL;
}
