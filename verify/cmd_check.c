/* cmd_check.c: `check FILE...`: each file's format checked, no key
 * needed: a name ending in ".sig" is read as a MANIFEST.sig, one ending in
 * ".json" as an md5 list, one ending in ".tar" as a docker-archive (its
 * tar structure and manifest.json: the tags it holds), anything else as a
 * MANIFEST. One line a file.
 * For CI before it signs, and for the parser tests (many inputs, one run). */
#include "archive_image.h"
#include "commands.h"
#include "inputs.h"
#include "log.h"
#include "outcome.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* 0 valid, -1 malformed, -2 unreadable; the one line is logged. */
static int check_file(const char *path)
{
    char err[1024];
    int rc;
    if (ends_with(path, ".tar")) {
        char tags[512];
        rc = archive_tags(path, tags, sizeof tags);
        if (rc == 0)
            log_msg(LOG_INFO, NULL, "%s: OK: a docker-archive of %s", path, tags);
        else
            snprintf(err, sizeof err, "%s: %s", path, tags);
    } else if (ends_with(path, ".sig")) {
        struct signature s;
        if ((rc = signature_load(path, &s, err, sizeof err)) == 0)
            log_msg(LOG_INFO, NULL, "%s: OK: a signature by key %s", path, s.key_id);
    } else if (ends_with(path, ".json")) {
        struct json list = {0};
        if ((rc = md5_list_load(path, &list, err, sizeof err)) == 0)
            log_msg(LOG_INFO, NULL, "%s: OK: an md5 list of %zu files", path, list.count);
        json_free(&list);
    } else {
        struct manifest m;
        char *data;
        size_t len;
        if ((rc = manifest_load(path, &data, &len, &m, err, sizeof err)) == 0) {
            log_msg(LOG_INFO, NULL, "%s: OK: a manifest of %zu files and %zu images", path, m.nfiles, m.nimages);
            manifest_free(&m);
            free(data);
        }
    }
    if (rc < 0)
        log_msg(LOG_ERROR, NULL, "%s", err);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fputs(verify_usage, stderr);
        return EXIT_USAGE;
    }
    int malformed = 0, unreadable = 0;
    for (int i = 1; i < argc; i++) {
        int rc = check_file(argv[i]);
        malformed += rc == -1;
        unreadable += rc == -2;
    }
    return unreadable ? EXIT_SYSTEM : malformed ? EXIT_USAGE : 0;
}
