/* deadletter.c: see deadletter.h. */
#include "deadletter.h"

#include "log.h"
#include "spool.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of name's reason file ("" when there is none). */
static void read_reason(const char *root, const char *dest, const char *name, char *reason, size_t cap)
{
    char path[SPOOL_PATH_MAX];
    reason[0] = '\0';
    FILE *f = spool_reason_path(path, sizeof path, root, dest, name) == 0 ? fopen(path, "re") : NULL;
    if (f) {
        if (!fgets(reason, (int)cap, f))
            reason[0] = '\0';
        fclose(f);
    }
    reason[strcspn(reason, "\n")] = '\0';
}

int deadletter_list(const struct mux_conf *c)
{
    for (unsigned i = 0; i < c->ndests; i++) {
        const char *dest = c->dests[i].peer.name;
        char **names;
        size_t n = spool_list(c->spool, SPOOL_DEAD, dest, &names);
        for (size_t k = 0; k < n; k++) {
            /* one line each, tab-separated, whatever a name or reason holds */
            char reason[600], name[LOG_ESCAPED_SIZE(SPOOL_NAME_MAX)], said[LOG_ESCAPED_SIZE(599)];
            read_reason(c->spool, dest, names[k], reason, sizeof reason);
            printf("%s\t%s\t%s\n", dest, log_escape(name, sizeof name, names[k]),
                   log_escape(said, sizeof said, reason));
            free(names[k]);
        }
        free(names);
    }
    return 0;
}

/* Back into the queue, their reasons gone; how many, or -1 without a
 * dead letters folder. */
static long requeue(const char *root, const char *dest)
{
    char dir[SPOOL_PATH_MAX], from[SPOOL_PATH_MAX], to[SPOOL_PATH_MAX];
    DIR *d = spool_dir_path(dir, sizeof dir, root, SPOOL_DEAD, dest) == 0 ? opendir(dir) : NULL;
    if (!d)
        return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (spool_entry_path(from, sizeof from, root, SPOOL_DEAD, dest, de->d_name) < 0)
            continue;
        if (spool_is_reason(de->d_name))
            unlink(from);
        else if (spool_is_entry(de->d_name) &&
                 spool_entry_path(to, sizeof to, root, SPOOL_QUEUE, dest, de->d_name) == 0 && rename(from, to) == 0)
            n++;
    }
    closedir(d);
    /* durable: the entries back in the queue, and gone from the dead letters */
    if (spool_sync_dir(root, SPOOL_QUEUE, dest) < 0 || spool_sync_dir(root, SPOOL_DEAD, dest) < 0)
        die_sys(111, "cannot fsync the folders of destination '%s'", dest);
    return n;
}

int deadletter_requeue(const struct mux_conf *c, const char *dest)
{
    long n = requeue(c->spool, dest);
    if (n < 0)
        die(100, "no dead letters folder for destination '%s'", dest);
    printf("%ld instance(s) requeued for %s; send SIGHUP to the running cirr-mux (or restart it)\n", n, dest);
    return 0;
}
