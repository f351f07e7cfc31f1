/* release_files.c: listed files hashed, the folder walked for unlisted ones. */
#include "release_files.h"

#include "array.h"
#include "digest.h"
#include "log.h"
#include "relpath.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_MAX_DEPTH 64

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

struct walk {
    const struct manifest *m;
    struct outcome *o;
    char **unlisted;
    size_t n, cap;
};

static void add_unlisted(struct walk *w, const char *path, const char *kind)
{
    char **u = array_grow(w->unlisted, &w->cap, w->n + 1, sizeof *u, 0);
    if (!u)
        return outcome_failure(w->o, "out of memory");
    w->unlisted = u;
    struct strbuf sb = {0};
    char esc[LOG_ESCAPED_SIZE(RELPATH_MAX)];
    strbuf_addf(&sb, "%s: unlisted%s", log_escape(esc, sizeof esc, path), kind);
    w->unlisted[w->n++] = strbuf_take(&sb);
}

static int is_signature_file(const char *path)
{
    return strcmp(path, "MANIFEST") == 0 || strcmp(path, "MANIFEST.sig") == 0;
}

static void walk_dir(struct walk *w, int dirfd, const char *prefix, int depth);

static void walk_entry(struct walk *w, int dirfd, const char *name, const char *path, int depth)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return outcome_failure(w->o, "%s: cannot stat: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
            return outcome_failure(w->o, "%s: cannot open: %s", path, strerror(errno));
        if (depth >= WALK_MAX_DEPTH) {
            close(sub);
            return add_unlisted(w, path, " (a folder nested too deep)");
        }
        return walk_dir(w, sub, path, depth + 1);
    }
    if (!S_ISREG(st.st_mode))
        return add_unlisted(w, path, S_ISLNK(st.st_mode) ? " (a symbolic link)" : " (not a regular file)");
    if (!(depth == 0 && is_signature_file(path)) && !manifest_file_find(w->m, path))
        add_unlisted(w, path, "");
}

/* Walks dirfd (which it closes); prefix: its path in the release, "" at the top. */
static void walk_dir(struct walk *w, int dirfd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return outcome_failure(w->o, "%s: cannot list: %s", *prefix ? prefix : ".", strerror(errno));
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct strbuf path = {0};
        strbuf_addf(&path, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name);
        walk_entry(w, dirfd, e->d_name, path.data, depth);
        strbuf_free(&path);
    }
    if (errno)
        outcome_failure(w->o, "%s: cannot list: %s", *prefix ? prefix : ".", strerror(errno));
    closedir(d);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void release_files_check(int rootfd, const struct manifest *m, struct outcome *o)
{
    for (size_t i = 0; i < m->nfiles; i++)
        check_listed(rootfd, &m->files[i], o);
    struct walk w = {m, o, NULL, 0, 0};
    int fd = dup(rootfd);
    if (fd < 0)
        return outcome_failure(o, "cannot list the release folder: %s", strerror(errno));
    walk_dir(&w, fd, "", 0);
    if (w.n) /* sorted: the same order every run */
        qsort(w.unlisted, w.n, sizeof *w.unlisted, by_text);
    for (size_t i = 0; i < w.n; i++) {
        outcome_mismatch(o, "%s", w.unlisted[i]);
        free(w.unlisted[i]);
    }
    free(w.unlisted);
}
