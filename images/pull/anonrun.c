/* anonrun.c: gathering the inputs (nftw) and the worker threads that take
 * them one at a time. */
#include "anonrun.h"

#include "array.h"
#include "log.h"
#include "workpool.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static struct anonrun *gathering; /* nftw's callback takes no user pointer */

static void add(struct anonrun *r, const char *path)
{
    char **grown = array_grow(r->paths, &r->cap, r->n + 1, sizeof *r->paths, 0);
    char *copy = strdup(path);
    if (!grown || !copy)
        die(111, "out of memory gathering the inputs");
    r->paths = grown;
    r->paths[r->n++] = copy;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)ftw;
    char shown[LOG_ESCAPED_SIZE(256)];
    if (type == FTW_F)
        add(gathering, path);
    else if (type == FTW_DNR || type == FTW_NS) {
        __atomic_add_fetch(&gathering->counts.failed, 1, __ATOMIC_RELAXED);
        log_msg(LOG_ERROR, NULL, "cannot read %s", log_escape(shown, sizeof shown, path));
    }
    return 0;
}

int anonrun_gather(struct anonrun *r, const char *path)
{
    char shown[LOG_ESCAPED_SIZE(256)];
    gathering = r;
    if (nftw(path, visit, 32, FTW_PHYS) == 0)
        return 0;
    r->counts.failed++;
    log_msg(LOG_ERROR, NULL, "cannot read %s: %s", log_escape(shown, sizeof shown, path), strerror(errno));
    return -1;
}

/* One file: the counts and, unless written quietly, a log line. */
static void one(struct anonrun *r, const char *path)
{
    char written[PATH_MAX], reason[512], shown[LOG_ESCAPED_SIZE(256)], why[LOG_ESCAPED_SIZE(512)];
    enum anon_result res = anonfile_one(path, r->out_dir, &r->conf->key, &r->conf->options, written,
                                        sizeof written, reason, sizeof reason);
    log_escape(shown, sizeof shown, path);
    if (res == ANON_DONE) {
        __atomic_add_fetch(&r->counts.done, 1, __ATOMIC_RELAXED);
        if (r->conf->verbose)
            log_msg(LOG_INFO, NULL, "%s: written", shown);
        return;
    }
    log_escape(why, sizeof why, reason);
    __atomic_add_fetch(res == ANON_QUARANTINED ? &r->counts.quarantined : &r->counts.failed, 1, __ATOMIC_RELAXED);
    log_msg(res == ANON_QUARANTINED ? LOG_WARN : LOG_ERROR, NULL, "%s: %s: %s", shown,
            res == ANON_QUARANTINED ? "quarantined" : "failed", why);
}

static void each(size_t i, void *ctx)
{
    struct anonrun *r = ctx;
    one(r, r->paths[i]);
}

void anonrun_all(struct anonrun *r, unsigned jobs) { workpool_run(r->n, jobs, each, r); }

void anonrun_free(struct anonrun *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->paths[i]);
    free(r->paths);
}
