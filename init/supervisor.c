/* supervisor.c: cirr-init's event loop: signals, reaping, output relays,
 * and the last phase of shutdown, which waits for every descendant. */
#include "supervisor.h"

#include "log.h"
#include "signame.h"
#include "spawn.h"
#include "strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ORPHAN_RESCAN_MS 200u

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Block every signal but the synchronous faults and take them all from a
 * signalfd: no code ever runs in a signal handler. */
static int setup_signals(struct supervisor *sup)
{
    sigset_t all;
    sigfillset(&all);
    static const int faults[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
        sigdelset(&all, faults[i]);
    if (sigprocmask(SIG_SETMASK, &all, NULL) < 0)
        return -1;
    sup->sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    return sup->sigfd < 0 ? -1 : 0;
}

int supervisor_init(struct supervisor *sup, struct config *cfg, const char *rundir)
{
    memset(sup, 0, sizeof *sup);
    sup->cfg = cfg;
    sup->exit_code = -1;
    sup->tty_fd = -1;
    sup->orphan_grace_ms = 2000;
    sup->nsvc = cfg->service_count;
    sup->svc = calloc(sup->nsvc, sizeof *sup->svc);
    sup->nprobes = cfg->probe_count;
    sup->probes = calloc(sup->nprobes ? sup->nprobes : 1, sizeof *sup->probes);
    if (!sup->svc || !sup->probes)
        return -1;
    for (unsigned i = 0; i < sup->nsvc; i++)
        sup->svc[i].cfg = &cfg->services[i];
    for (unsigned i = 0; i < sup->nprobes; i++) {
        sup->probes[i].cfg = &cfg->probes[i];
        sup->probes[i].fd = -1;
        sup->probes[i].result = -1;
    }
    if (gethostname(sup->hostname, sizeof sup->hostname - 1) < 0)
        snprintf(sup->hostname, sizeof sup->hostname, "localhost");
    if (rundir && (mkdir(rundir, 0755) == 0 || errno == EEXIST))
        sup->rundir = rundir;
    else if (rundir)
        log_msg(LOG_WARN, NULL, "cannot create %s: %s; `cirr-init health` will fail", rundir,
                strerror(errno));
    /* Not PID 1: become the subreaper, so orphans of our services are ours. */
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        log_msg(LOG_WARN, NULL, "cannot become child subreaper: %s", strerror(errno));
    sup->status_dirty = 1;
    return setup_signals(sup);
}

void supervisor_free(struct supervisor *sup)
{
    for (unsigned i = 0; i < sup->nrelays; i++)
        relay_free(sup->relays[i]);
    free(sup->relays);
    free(sup->svc);
    free(sup->probes);
    free(sup->termed);
    if (sup->sigfd >= 0)
        close(sup->sigfd);
}

static struct svc_rt *svc_by_pid(struct supervisor *sup, pid_t pid)
{
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (sup->svc[i].pid == pid)
            return &sup->svc[i];
    return NULL;
}

/* Reap until waitpid finds nothing more. */
static void reap(struct supervisor *sup, uint64_t now)
{
    for (;;) {
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0)
            return;
        struct svc_rt *s = svc_by_pid(sup, pid);
        if (s)
            service_exited(sup, s, spawn_exit_status(st), now);
        else if (!probes_reaped(sup, pid, st, now))
            log_msg(LOG_DEBUG, NULL, "reaped orphan %d (status %d)", (int)pid, spawn_exit_status(st));
    }
}

static void forward(struct supervisor *sup, int sig)
{
    for (unsigned i = 0; i < sup->nsvc; i++) {
        struct svc_rt *s = &sup->svc[i];
        if (s->pid && kill(-s->pid, sig) < 0)
            kill(s->pid, sig);
    }
}

static void handle_signals(struct supervisor *sup, uint64_t now)
{
    struct signalfd_siginfo si;
    while (read(sup->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        switch (sig) {
        case SIGCHLD: reap(sup, now); break;
        case SIGTERM:
        case SIGINT:
        case SIGQUIT: begin_shutdown(sup, -1, sig); break;
        case SIGHUP:
        case SIGUSR1:
        case SIGUSR2:
        case SIGWINCH: forward(sup, sig); break;
        default: log_msg(LOG_DEBUG, NULL, "ignoring %s", signal_name(sig)); break;
        }
    }
    reap(sup, now); /* SIGCHLDs coalesce: always look once more */
}

static int termed_already(struct supervisor *sup, pid_t pid)
{
    for (unsigned i = 0; i < sup->ntermed; i++)
        if (sup->termed[i] == pid)
            return 1;
    return 0;
}

/* Signal every remaining child (re-parented orphans). TERM is sent once per
 * process; KILL as often as needed. Returns how many were found. */
static unsigned signal_children(struct supervisor *sup, int sig)
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
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        int ppid;
        if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1 || ppid != self)
            continue;
        pid_t pid = (pid_t)atoi(de->d_name);
        found++;
        if (sig == SIGTERM && termed_already(sup, pid))
            continue;
        kill(pid, sig);
        if (sig == SIGTERM) {
            sup->termed = xrealloc(sup->termed, (sup->ntermed + 1) * sizeof *sup->termed);
            sup->termed[sup->ntermed++] = pid;
        }
    }
    closedir(d);
    return found;
}

/* After every service has exited: TERM the orphans, give them the grace
 * period to finish their writes, KILL the rest, and wait for all of them. */
static void step_orphans(struct supervisor *sup, uint64_t now)
{
    /* Usually nothing is left: find out before scanning /proc. */
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        probes_reaped(sup, pid, st, now);
    if (pid < 0 && errno == ECHILD) {
        sup->phase = PHASE_DONE;
        return;
    }
    if (!sup->orphan_deadline) {
        sup->orphan_deadline = now + sup->orphan_grace_ms;
        sup->status_dirty = 1;
    }
    if (now >= sup->orphan_deadline && !sup->orphans_killed) {
        unsigned n = signal_children(sup, SIGKILL);
        if (n)
            log_msg(LOG_WARN, NULL, "%u orphaned process(es) still running; sent SIGKILL", n);
        sup->orphans_killed = 1;
    } else if (sup->orphans_killed) {
        signal_children(sup, SIGKILL); /* children of killed orphans */
    } else {
        unsigned before = sup->ntermed;
        signal_children(sup, SIGTERM);
        if (sup->ntermed > before)
            log_msg(LOG_INFO, NULL, "waiting up to %.1fs for %u orphaned process(es)",
                    sup->orphan_grace_ms / 1000.0, sup->ntermed - before);
    }
}

uint64_t next_deadline(const struct supervisor *sup)
{
    uint64_t t = UINT64_MAX;
#define CONSIDER(x) do { if ((x) < t) t = (x); } while (0)
    if (sup->phase == PHASE_ORPHANS)
        CONSIDER(now_ms() + ORPHAN_RESCAN_MS);
    for (unsigned i = 0; i < sup->nsvc; i++) {
        const struct svc_rt *s = &sup->svc[i];
        if (s->state == SVC_BACKOFF || (s->state == SVC_STOPPING && !s->killed))
            CONSIDER(s->timer);
        if (s->state == SVC_WAITING && s->wait_logged)
            CONSIDER(s->wait_deadline);
    }
    for (unsigned i = 0; i < sup->nprobes; i++) {
        const struct probe_rt *p = &sup->probes[i];
        if (p->pid && !p->timed_out)
            CONSIDER(p->deadline);
    }
    return t;
#undef CONSIDER
}

/* Probes that are due but not running count as a deadline only when they
 * are needed; probes_step knows that, so ask it by running it first. */
static int poll_timeout(struct supervisor *sup, uint64_t now)
{
    uint64_t t = next_deadline(sup);
    for (unsigned i = 0; i < sup->nprobes; i++) {
        const struct probe_rt *p = &sup->probes[i];
        if (!p->pid && p->next_run > now && p->next_run < t && sup->phase < PHASE_STOPPING)
            t = p->next_run;
    }
    if (t == UINT64_MAX)
        return -1;
    return t <= now ? 0 : (int)(t - now > 60000 ? 60000 : t - now);
}

static void poll_once(struct supervisor *sup, int timeout)
{
    unsigned n = 1 + sup->nrelays + sup->nprobes;
    struct pollfd *fds = xmalloc(n * sizeof *fds);
    unsigned k = 0;
    fds[k++] = (struct pollfd){.fd = sup->sigfd, .events = POLLIN};
    for (unsigned i = 0; i < sup->nrelays; i++)
        fds[k++] = (struct pollfd){.fd = sup->relays[i]->fd, .events = POLLIN};
    for (unsigned i = 0; i < sup->nprobes; i++)
        fds[k++] = (struct pollfd){.fd = sup->probes[i].fd, .events = POLLIN};
    if (poll(fds, k, timeout) < 0 && errno != EINTR)
        log_msg(LOG_ERROR, NULL, "poll: %s", strerror(errno));
    uint64_t now = now_ms();
    unsigned nrel = sup->nrelays;
    for (unsigned i = 0; i < nrel; i++)
        if (fds[1 + i].revents && relay_read(sup->relays[i]) < 0) {
            relay_free(sup->relays[i]);
            sup->relays[i] = NULL;
        }
    unsigned kept = 0;
    for (unsigned i = 0; i < sup->nrelays; i++)
        if (sup->relays[i])
            sup->relays[kept++] = sup->relays[i];
    sup->nrelays = kept;
    for (unsigned i = 0; i < sup->nprobes; i++)
        if (fds[1 + nrel + i].revents)
            probes_read(sup, &sup->probes[i]);
    if (fds[0].revents)
        handle_signals(sup, now);
    free(fds);
}

static void drain_relays(struct supervisor *sup)
{
    for (unsigned i = 0; i < sup->nrelays; i++) {
        relay_read(sup->relays[i]);
        relay_free(sup->relays[i]);
    }
    sup->nrelays = 0;
}

int supervisor_run(struct supervisor *sup)
{
    for (;;) {
        uint64_t now = now_ms();
        services_step(sup, now);
        probes_step(sup, now);
        if (sup->phase == PHASE_ORPHANS)
            step_orphans(sup, now);
        if (sup->status_dirty)
            status_publish(sup);
        if (sup->phase == PHASE_DONE)
            break;
        poll_once(sup, poll_timeout(sup, now));
    }
    drain_relays(sup);
    status_remove(sup);
    if (sup->exit_code >= 0)
        return sup->exit_code;
    for (unsigned i = 0; i < sup->nsvc; i++)
        if (sup->svc[i].cfg->is_main && sup->svc[i].has_status)
            return sup->svc[i].last_status;
    return sup->trigger_signal ? 128 + sup->trigger_signal : 0;
}
