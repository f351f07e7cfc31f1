/* release_files.c: listed files hashed, the folder walked for unlisted ones. */
#include "release_files.h"

#include "array.h"
#include "digest.h"
#include "log.h"
#include "relpath.h"
#include "strbuf.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int release_file_digest(int rootfd, const char *path, enum digest_kind kind, unsigned char *out,
                        struct outcome *o)
{
    int fd = openat(rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
        return outcome_mismatch(o, "%s: missing", path), -1;
    if (fd < 0 && errno == ELOOP)
        return outcome_mismatch(o, "%s: changed: a symbolic link, not a file", path), -1;
    if (fd < 0)
        return outcome_failure(o, "%s: cannot open: %s", path, strerror(errno)), -1;
    int rc = -1;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
        outcome_mismatch(o, "%s: changed: not a regular file", path);
    else if (digest_fd(fd, 0, UINT64_MAX, kind, out) < 0)
        outcome_failure(o, "%s: cannot read: %s", path, strerror(errno));
    else
        rc = 0;
    close(fd);
    return rc;
}

static void check_listed(int rootfd, const struct manifest_file *f, struct outcome *o)
{
    unsigned char sum[SHA256_LEN];
    if (release_file_digest(rootfd, f->path, DIGEST_SHA256, sum, o) < 0)
        return;
    if (memcmp(sum, f->sha256, sizeof sum) != 0) {
        char have[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1];
        hex_encode(sum, sizeof sum, have);
        hex_encode(f->sha256, sizeof f->sha256, want);
        outcome_mismatch(o, "%s: changed: sha256 %s, the manifest lists %s", f->path, have, want);
    } else
        o->checked++;
}

struct unlisted {
    const struct manifest *m;
    struct outcome *o;
    char **lines;
    size_t n, cap;
};

int release_is_signature_file(const char *path, int depth)
{
    return depth == 0 && (strcmp(path, "MANIFEST") == 0 || strcmp(path, "MANIFEST.sig") == 0);
}

static void note_entry(void *ctx, const char *path, enum walk_kind kind, int depth)
{
    static const char *const why[] = {"", " (a symbolic link)", " (not a regular file)", " (a folder nested too deep)"};
    struct unlisted *u = ctx;
    if (kind == WALK_FILE && (release_is_signature_file(path, depth) || manifest_file_find(u->m, path)))
        return;
    char **lines = array_grow(u->lines, &u->cap, u->n + 1, sizeof *lines, 0);
    if (!lines)
        return outcome_failure(u->o, "out of memory");
    u->lines = lines;
    struct strbuf sb = {0};
    char esc[LOG_ESCAPED_SIZE(RELPATH_MAX)];
    strbuf_addf(&sb, "%s: unlisted%s", log_escape(esc, sizeof esc, path), why[kind]);
    u->lines[u->n++] = strbuf_take(&sb);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void release_files_check(int rootfd, const struct manifest *m, struct outcome *o)
{
    for (size_t i = 0; i < m->nfiles; i++)
        check_listed(rootfd, &m->files[i], o);
    struct unlisted u = {m, o, NULL, 0, 0};
    char err[512];
    if (walk_tree(rootfd, note_entry, &u, err, sizeof err) < 0)
        outcome_failure(o, "%s", err);
    if (u.n) /* sorted: the same order every run */
        qsort(u.lines, u.n, sizeof *u.lines, by_text);
    for (size_t i = 0; i < u.n; i++) {
        outcome_mismatch(o, "%s", u.lines[i]);
        free(u.lines[i]);
    }
    free(u.lines);
}
