/* orphans.c: TERM, grace period, KILL for what outlives the services (see
 * orphans.h). Children are found in /proc: cirr-init is PID 1 or a child
 * subreaper, so every orphan of its services is its child. */
#include "orphans.h"

#include "log.h"
#include "strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORPHAN_RESCAN_MS 200u

void orphans_init(struct orphans *o, unsigned grace_ms)
{
    memset(o, 0, sizeof *o);
    o->grace_ms = grace_ms;
}

void orphans_free(struct orphans *o)
{
    free(o->termed);
    o->termed = NULL;
    o->ntermed = 0;
}

static int termed_already(const struct orphans *o, pid_t pid)
{
    for (unsigned i = 0; i < o->ntermed; i++)
        if (o->termed[i] == pid)
            return 1;
    return 0;
}

/* The pid of /proc entry name when it is a child of ours, else 0. */
static pid_t child_pid(const char *name, pid_t self)
{
    if (!isdigit((unsigned char)name[0]))
        return 0;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", name);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    int ppid;
    if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1 || ppid != self)
        return 0;
    return (pid_t)atoi(name);
}

/* Signal every remaining child. TERM is sent once per process; KILL as
 * often as needed. Returns how many were found. */
static unsigned signal_children(struct orphans *o, int sig)
{
    DIR *d = opendir("/proc");
    if (!d) {
        if (getpid() == 1)
            kill(-1, sig);
        return 0;
    }
    unsigned found = 0;
    pid_t self = getpid();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        pid_t pid = child_pid(de->d_name, self);
        if (!pid)
            continue;
        found++;
        if (sig == SIGTERM && termed_already(o, pid))
            continue;
        kill(pid, sig);
        if (sig == SIGTERM) {
            o->termed = xrealloc(o->termed, (o->ntermed + 1) * sizeof *o->termed);
            o->termed[o->ntermed++] = pid;
        }
    }
    closedir(d);
    return found;
}

void orphans_step(struct orphans *o, uint64_t now)
{
    if (!o->deadline)
        o->deadline = now + o->grace_ms;
    if (now >= o->deadline && !o->killed) {
        unsigned n = signal_children(o, SIGKILL);
        if (n)
            log_msg(LOG_WARN, NULL, "%u orphaned process(es) still running; sent SIGKILL", n);
        o->killed = 1;
    } else if (o->killed) {
        signal_children(o, SIGKILL); /* children of killed orphans */
    } else {
        unsigned before = o->ntermed;
        signal_children(o, SIGTERM);
        if (o->ntermed > before)
            log_msg(LOG_INFO, NULL, "waiting up to %.1fs for %u orphaned process(es)",
                    o->grace_ms / 1000.0, o->ntermed - before);
    }
}

uint64_t orphans_deadline(const struct orphans *o, uint64_t now)
{
    (void)o;
    return now + ORPHAN_RESCAN_MS;
}
