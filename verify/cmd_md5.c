/* cmd_md5.c: `md5 FILE.json [ROOT]`: the seed's md5 lists (check-hashes'
 * cirr_hashes.json: one JSON object mapping a file's path to its md5 in
 * hex), so that a deployment can check what it runs today before it moves
 * to a signed MANIFEST. md5 only catches accidents: anyone who can change
 * the files can change the list too; the summary line says so. */
#include "commands.h"
#include "digest.h"
#include "inputs.h"
#include "json.h"
#include "keys.h"
#include "log.h"
#include "outcome.h"
#include "relpath.h"
#include "release_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The list, parsed and checked whole; dies (100, or 111) when it cannot be. */
static void read_list(const char *path, struct json *list)
{
    char err[768];
    int rc = md5_list_load(path, list, err, sizeof err);
    if (rc < 0)
        die(rc == -2 ? EXIT_SYSTEM : EXIT_USAGE, "%s", err);
}

static void check_one(int rootfd, const struct json *e, struct outcome *o)
{
    unsigned char want[MD5_LEN], have[MD5_LEN];
    hex_decode(e->text, e->len, want, sizeof want, 0);
    if (release_file_digest(rootfd, e->key, DIGEST_MD5, have, o) < 0)
        return;
    if (memcmp(have, want, sizeof have) != 0) {
        char hex[2 * MD5_LEN + 1], wanthex[2 * MD5_LEN + 1];
        hex_encode(have, sizeof have, hex);
        hex_encode(want, sizeof want, wanthex);
        outcome_mismatch(o, "%s: changed: md5 %s, the list has %s", e->key, hex, wanthex);
    } else
        o->checked++;
}

int cmd_md5(int argc, char **argv)
{
    if ((argc != 2 && argc != 3) || argv[1][0] == '-') {
        fputs(verify_usage, stderr);
        return EXIT_USAGE;
    }
    const char *root = argc == 3 ? argv[2] : ".";
    struct json list;
    read_list(argv[1], &list);
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        die_sys(errno == ENOENT || errno == ENOTDIR ? EXIT_USAGE : EXIT_SYSTEM, "%s: cannot open", root);
    struct outcome o = {0};
    for (size_t i = 0; i < list.count; i++)
        check_one(rootfd, &list.items[i], &o);
    if (o.mismatches + o.failures == 0)
        log_msg(LOG_INFO, NULL, "%s: OK: %u files match (md5 catches accidents, not tampering: "
                "move to a signed MANIFEST)", argv[1], o.checked);
    else
        log_msg(LOG_ERROR, NULL, "%s: verification FAILED (%u differences, %u checks not made)", argv[1],
                o.mismatches, o.failures);
    json_free(&list);
    close(rootfd);
    return outcome_exit(&o);
}
