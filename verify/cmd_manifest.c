/* cmd_manifest.c: `manifest [--images DIGESTS] RELEASE_DIR`: write
 * RELEASE_DIR/MANIFEST listing every file of the folder (sorted by path)
 * and the images of a DIGESTS file (`make images` writes it: "NAME
 * sha256:CONFIG sha256:MANIFEST" lines, '#' comments). The text is parsed
 * back before it is written, so a manifest made here is one `verify` reads.
 * A release holds regular files only: a link or a device stops it (100). */
#include "atomicfile.h"
#include "array.h"
#include "commands.h"
#include "digest.h"
#include "keys.h"
#include "log.h"
#include "manifest.h"
#include "outcome.h"
#include "relpath.h"
#include "release_files.h"
#include "strbuf.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct files {
    char **paths;
    size_t n, cap;
};

static void collect(void *ctx, const char *path, enum walk_kind kind, int depth)
{
    static const char *const what[] = {"", "a symbolic link", "not a regular file", "a folder nested too deep"};
    struct files *f = ctx;
    char esc[LOG_ESCAPED_SIZE(RELPATH_MAX)];
    const char *why = kind == WALK_FILE ? relpath_problem(path, strlen(path)) : what[kind];
    if (kind == WALK_FILE && release_is_signature_file(path, depth))
        return;
    if (why)
        die(EXIT_USAGE, "%s: %s: a release holds only regular files with valid names",
            log_escape(esc, sizeof esc, path), why);
    char **paths = array_grow(f->paths, &f->cap, f->n + 1, sizeof *paths, 0);
    if (!paths)
        die(EXIT_SYSTEM, "out of memory");
    f->paths = paths;
    f->paths[f->n++] = xstrdup(path);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_files(struct strbuf *out, int rootfd)
{
    struct files f = {0};
    char err[512], hex[2 * SHA256_LEN + 1];
    unsigned char sum[SHA256_LEN];
    struct outcome o = {0};
    if (walk_tree(rootfd, collect, &f, err, sizeof err) < 0)
        die(EXIT_SYSTEM, "%s", err);
    if (f.n)
        qsort(f.paths, f.n, sizeof *f.paths, by_text);
    for (size_t i = 0; i < f.n; i++) {
        if (release_file_digest(rootfd, f.paths[i], DIGEST_SHA256, sum, &o) < 0)
            exit(outcome_exit(&o));
        hex_encode(sum, sizeof sum, hex);
        strbuf_addf(out, "file %s %s\n", hex, f.paths[i]);
        free(f.paths[i]);
    }
    free(f.paths);
}

/* Each DIGESTS line becomes an image line, checked on its own first. */
static void add_images(struct strbuf *out, const char *digests)
{
    char *text, err[512];
    size_t len;
    if (read_small_file(digests, MANIFEST_MAX_BYTES, &text, &len) < 0)
        die_sys(errno == ENOENT ? EXIT_USAGE : EXIT_SYSTEM, "cannot read %s", digests);
    unsigned n = 0;
    for (char *line = text, *nl; *line; line = nl + 1) {
        n++;
        if (!(nl = strchr(line, '\n')))
            die(EXIT_USAGE, "%s: line %u does not end with a newline", digests, n);
        *nl = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        struct strbuf one = {0};
        struct manifest m;
        strbuf_addf(&one, MANIFEST_VERSION_LINE "\nimage %s\n", line);
        if (manifest_parse(one.data, one.len, &m, err, sizeof err) < 0) {
            const char *why = strstr(err, ": "); /* past the mini manifest's "line 2" */
            die(EXIT_USAGE, "%s: line %u: %s", digests, n, why ? why + 2 : err);
        }
        manifest_free(&m);
        strbuf_add(out, one.data + strlen(MANIFEST_VERSION_LINE) + 1, one.len - strlen(MANIFEST_VERSION_LINE) - 1);
        strbuf_free(&one);
    }
    free(text);
}

int cmd_manifest(int argc, char **argv)
{
    static const struct option longopts[] = {{"images", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
    const char *digests = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
        if (c != 'i' || !(digests = optarg))
            return fputs(verify_usage, stderr), EXIT_USAGE;
    if (optind != argc - 1)
        return fputs(verify_usage, stderr), EXIT_USAGE;
    const char *dir = argv[optind];
    int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        die_sys(errno == ENOENT || errno == ENOTDIR ? EXIT_USAGE : EXIT_SYSTEM, "%s: cannot open", dir);
    struct strbuf out = {0};
    strbuf_adds(&out, MANIFEST_VERSION_LINE "\n");
    add_files(&out, rootfd);
    if (digests)
        add_images(&out, digests);
    struct manifest m;
    char err[512];
    if (manifest_parse(out.data, out.len, &m, err, sizeof err) < 0)
        die(EXIT_USAGE, "the manifest made for %s is not valid: %s", dir, err);
    struct strbuf path = {0};
    strbuf_addf(&path, "%s/MANIFEST", dir);
    if (atomicfile_write(path.data, out.data, out.len, 0644, (uid_t)-1, (gid_t)-1) < 0)
        die_sys(EXIT_SYSTEM, "cannot write %s", path.data);
    log_msg(LOG_INFO, NULL, "wrote %s: %zu files, %zu images (sign it next)", path.data, m.nfiles, m.nimages);
    manifest_free(&m);
    strbuf_free(&path);
    strbuf_free(&out);
    close(rootfd);
    return 0;
}
