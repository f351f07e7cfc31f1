/* folder.c: see folder.h. Every second the folder is walked (done/ and
 * failed/ and hidden entries left out); a regular file not modified for
 * WATCH_UPLOAD_QUIET_S is POSTed to Orthanc's /instances. 200: moved to
 * done/PATH. 400 or 415 (not DICOM, refused for good): moved to
 * failed/PATH with failed/PATH.reason. Anything else (Orthanc down, 5xx):
 * left in place and tried again after a backoff. A file moved to done/
 * whose move a crash lost is sent again: Orthanc stores an instance once. */
#include "folder.h"

#include "atomicfile.h"
#include "httpc.h"
#include "log.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UPLOAD_MAX_BYTES (2048ull * 1024 * 1024)

struct uploader {
    struct source src;                   /* watcher, route, slot */
    CURL *curl;
    struct strbuf answer;
    unsigned failures;
};

/* nftw has no user pointer: one walk at a time (a lock keeps it so). */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uploader *walking;
static int walk_failed;

static int mkdirs_for(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* Move folder/rel to folder/to/rel (and write its .reason when given). */
static void move_to(struct uploader *u, const char *rel, const char *to, const char *reason)
{
    char from[1024], dest[1024], why[1100];
    snprintf(from, sizeof from, "%s/%s", u->src.route->folder, rel);
    snprintf(dest, sizeof dest, "%s/%s/%s", u->src.route->folder, to, rel);
    if (mkdirs_for(dest) < 0 || rename(from, dest) < 0) {
        log_msg(LOG_ERROR, u->src.route->name, "cannot move %s to %s/: %s", rel, to, strerror(errno));
        return;
    }
    if (reason) {
        snprintf(why, sizeof why, "%s.reason", dest);
        atomicfile_write(why, reason, strlen(reason), 0640, (uid_t)-1, (gid_t)-1);
    }
}

static int read_file(const char *path, off_t size, struct strbuf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    out->len = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 && out->len <= (size_t)size)
        strbuf_add(out, buf, (size_t)n);
    close(fd);
    return n < 0 ? -1 : 0;
}

/* Send one file; 0 when it was settled (done or failed), -1 to try again later. */
static int upload(struct uploader *u, const char *path, const char *rel, off_t size)
{
    struct strbuf data = {0};
    char url[600], err[256], reason[512], esc[LOG_ESCAPED_SIZE(200)];
    if (read_file(path, size, &data) < 0) {
        strbuf_free(&data);
        return -1;
    }
    snprintf(url, sizeof url, "%s/instances", u->src.w->conf.orthanc_url);
    httpc_prepare(u->curl, url, NULL, data.data ? data.data : "", data.len, &u->answer);
    long status = httpc_perform(u->curl, err, sizeof err);
    strbuf_free(&data);
    if (status == 200) {
        move_to(u, rel, "done", NULL);
        atomic_fetch_add(&u->src.w->routes[u->src.slot].read, 1);
        return 0;
    }
    if (status == 400 || status == 415) {
        snprintf(reason, sizeof reason, "Orthanc refused it: HTTP %ld %s\n", status,
                 log_escape(esc, sizeof esc, u->answer.data ? u->answer.data : ""));
        log_msg(LOG_WARN, u->src.route->name, "%s: %s", rel, reason);
        move_to(u, rel, "failed", reason);
        atomic_fetch_add(&u->src.w->routes[u->src.slot].skipped, 1);
        return 0;
    }
    if (u->failures++ == 0)
        log_msg(LOG_WARN, u->src.route->name, "cannot send %s to Orthanc (%s); will retry", rel,
                status ? "HTTP error" : err);
    return -1;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    struct uploader *u = walking;
    const char *base = path + ftw->base;
    if (atomic_load(&u->src.w->stopping) || walk_failed)
        return FTW_STOP;
    if (ftw->level == 0)
        return FTW_CONTINUE;
    if (base[0] == '.' || (ftw->level == 1 && type == FTW_D && (!strcmp(base, "done") || !strcmp(base, "failed"))))
        return type == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
    if (type != FTW_F || !S_ISREG(st->st_mode) || (unsigned long long)st->st_size > UPLOAD_MAX_BYTES)
        return FTW_CONTINUE;
    if (time(NULL) - st->st_mtime < (time_t)u->src.w->conf.upload_quiet_s)
        return FTW_CONTINUE; /* still being written, perhaps */
    if (upload(u, path, path + strlen(u->src.route->folder) + 1, st->st_size) < 0)
        walk_failed = 1;
    return walk_failed ? FTW_STOP : FTW_CONTINUE;
}

/* A round of the source loop: one walk of the folder. */
static int walk_round(void *arg)
{
    struct uploader *u = arg;
    pthread_mutex_lock(&walk_lock);
    walking = u;
    walk_failed = 0;
    nftw(u->src.route->folder, visit, 16, FTW_PHYS | FTW_ACTIONRETVAL);
    int failed = walk_failed;
    pthread_mutex_unlock(&walk_lock);
    if (!failed)
        u->failures = 0;
    return failed ? -1 : 1;
}

static void uploader_done(void *arg)
{
    struct uploader *u = arg;
    curl_easy_cleanup(u->curl);
    strbuf_free(&u->answer);
    free(u);
}

int folder_start(struct watcher *w, unsigned r)
{
    struct uploader *u = calloc(1, sizeof *u);
    struct httpc_opts o = {w->conf.http_timeout_s, NULL, 0, w->conf.orthanc_user, w->conf.orthanc_password};
    if (!u || !(u->curl = httpc_new(&o))) {
        free(u);
        return -1;
    }
    source_init(&u->src, w, r);
    if (mkdir(u->src.route->folder, 0750) < 0 && errno != EEXIST)
        log_msg(LOG_WARN, u->src.route->name, "cannot create %s: %s", u->src.route->folder, strerror(errno));
    log_msg(LOG_INFO, u->src.route->name, "sending the files of %s to %s", u->src.route->folder, w->conf.orthanc_url);
    struct source_loop loop = {walk_round, u, uploader_done, 1000, 0};
    if (source_start(&u->src, &loop) < 0) {
        uploader_done(u);
        return -1;
    }
    return 0;
}
