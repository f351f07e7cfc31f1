/* walk.c: a recursive walk over openat/fdopendir (walk.h). */
#include "walk.h"

#include "envconf.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
    walk_fn fn;
    void *ctx;
    char *err;
    size_t cap;
};

static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth);

static int walk_entry(struct walk *w, int dirfd, const char *name, const char *path, int depth)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return envconf_fail(w->err, w->cap, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        w->fn(w->ctx, path, S_ISREG(st.st_mode) ? WALK_FILE : S_ISLNK(st.st_mode) ? WALK_LINK : WALK_OTHER,
              depth);
        return 0;
    }
    if (depth + 1 >= WALK_MAX_DEPTH) {
        w->fn(w->ctx, path, WALK_TOO_DEEP, depth);
        return 0;
    }
    int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return envconf_fail(w->err, w->cap, "%s: cannot open: %s", path, strerror(errno));
    return walk_dir(w, sub, path, depth + 1);
}

/* Walks dirfd (which it closes); prefix: its path from the top, "" there. */
static int walk_dir(struct walk *w, int dirfd, const char *prefix, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return envconf_fail(w->err, w->cap, "%s: cannot list: %s", *prefix ? prefix : ".", strerror(errno));
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct strbuf path = {0};
        strbuf_addf(&path, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name);
        rc = walk_entry(w, dirfd, e->d_name, path.data, depth);
        strbuf_free(&path);
    }
    if (rc == 0 && errno)
        rc = envconf_fail(w->err, w->cap, "%s: cannot list: %s", *prefix ? prefix : ".", strerror(errno));
    closedir(d);
    return rc;
}

int walk_tree(int rootfd, walk_fn fn, void *ctx, char *err, size_t cap)
{
    struct walk w = {fn, ctx, err, cap};
    int fd = dup(rootfd);
    if (fd < 0)
        return envconf_fail(err, cap, "cannot list the folder: %s", strerror(errno));
    return walk_dir(&w, fd, "", 0);
}
