/* inputs.c: MANIFEST, MANIFEST.sig and md5 lists read from files (inputs.h). */
#include "inputs.h"

#include "digest.h"
#include "envconf.h"
#include "keys.h"
#include "log.h"
#include "relpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Read path whole: 0, or the inputs.h codes with err filled. */
static int load(const char *path, size_t max, char **data, size_t *len, char *err, size_t cap)
{
    if (read_small_file(path, max, data, len) == 0)
        return 0;
    if (errno == EFBIG)
        return envconf_fail(err, cap, "%s: larger than %zu bytes", path, max);
    if (errno == ENOENT || errno == EISDIR || errno == EINVAL)
        return envconf_fail(err, cap, "%s: %s", path, errno == EINVAL ? "not a regular file" : strerror(errno));
    envconf_fail(err, cap, "cannot read %s: %s", path, strerror(errno));
    return -2;
}

typedef int (*parser)(const char *text, size_t len, void *out, char *why, size_t cap);

static int parse_manifest(const char *text, size_t len, void *out, char *why, size_t cap)
{
    return manifest_parse(text, len, out, why, cap);
}

static int parse_signature(const char *text, size_t len, void *out, char *why, size_t cap)
{
    return signature_parse(text, len, out, why, cap);
}

static int parse_json(const char *text, size_t len, void *out, char *why, size_t cap)
{
    return json_parse(text, len, out, why, cap);
}

/* Read path and parse it into out; "PATH: <what>: <why>" when it does not
 * parse. keep: give the bytes to the caller (else they are freed). */
static int load_parsed(const char *path, size_t max, parser parse, void *out, const char *what, char **keep,
                       size_t *len, char *err, size_t cap)
{
    char *text, why[512];
    int rc = load(path, max, &text, len, err, cap);
    if (rc < 0)
        return rc;
    rc = parse(text, *len, out, why, sizeof why);
    if (rc == 0 && keep)
        *keep = text;
    else
        free(text);
    return rc < 0 ? envconf_fail(err, cap, "%s: %s%s", path, what, why) : 0;
}

int manifest_load(const char *path, char **data, size_t *len, struct manifest *m, char *err, size_t cap)
{
    return load_parsed(path, MANIFEST_MAX_BYTES, parse_manifest, m, "malformed at ", data, len, err, cap);
}

int signature_load(const char *path, struct signature *s, char *err, size_t cap)
{
    size_t len;
    return load_parsed(path, SIGNATURE_MAX_TEXT, parse_signature, s, "malformed: ", NULL, &len, err, cap);
}

/* Every member: a valid path mapped to 32 hex digits. */
static int check_members(const char *path, const struct json *list, char *err, size_t cap)
{
    unsigned char sum[MD5_LEN];
    char esc[LOG_ESCAPED_SIZE(200)];
    if (list->type != JSON_OBJECT || list->count == 0)
        return envconf_fail(err, cap, "%s: expected a JSON object mapping paths to md5 sums, with at least one",
                            path);
    for (size_t i = 0; i < list->count; i++) {
        const struct json *e = &list->items[i];
        const char *why = relpath_problem(e->key, strlen(e->key));
        if (why)
            return envconf_fail(err, cap, "%s: key \"%s\": %s", path, log_escape(esc, sizeof esc, e->key), why);
        if (e->type != JSON_STRING || hex_decode(e->text, e->len, sum, sizeof sum, 0) < 0)
            return envconf_fail(err, cap, "%s: \"%s\": the value is not an md5 sum (32 hex digits)", path,
                                log_escape(esc, sizeof esc, e->key));
    }
    return 0;
}

int md5_list_load(const char *path, struct json *list, char *err, size_t cap)
{
    size_t len;
    int rc = load_parsed(path, MD5_LIST_MAX, parse_json, list, "not valid JSON: ", NULL, &len, err, cap);
    if (rc < 0)
        return rc;
    if (check_members(path, list, err, cap) < 0) {
        json_free(list);
        return -1;
    }
    return 0;
}
