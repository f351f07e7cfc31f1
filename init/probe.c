/* probe.c: runs a probe in a child process (see probe.h). */
#include "probe.h"

#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *probe_kind_name(enum probe_kind kind)
{
    switch (kind) {
    case PROBE_HTTP: return "http";
    case PROBE_HTTPS: return "https";
    case PROBE_POSTGRES: return "postgres";
    case PROBE_TCP: return "tcp";
    case PROBE_EXEC: return "exec";
    }
    return "?";
}

/* In the child: exec the command with stdout and stderr on the pipe, so
 * that its first line of output becomes the reason (probe_sched.c redacts
 * the whole output first). */
static void run_exec(const struct probe *p, int wfd)
{
    dup2(wfd, STDOUT_FILENO);
    dup2(wfd, STDERR_FILENO);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, STDIN_FILENO);
    execvpe(p->argv[0], p->argv, spawn_environ(p->env_allow));
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", p->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

static void run_child(const struct probe *p, int wfd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);
    const char *what;
    if (identity_apply(&p->id, &what) < 0) {
        dprintf(wfd, "cannot %s: %s\n", what, strerror(errno));
        _exit(1);
    }
    if (p->kind == PROBE_EXEC)
        run_exec(p, wfd);
    char reason[512] = "";
    int rc;
    switch (p->kind) {
    case PROBE_HTTP:
    case PROBE_HTTPS: rc = probe_http(p, reason, sizeof reason); break;
    case PROBE_POSTGRES: rc = probe_postgres(p, reason, sizeof reason); break;
    default: rc = probe_tcp(p, reason, sizeof reason); break;
    }
    if (rc != 0) {
        size_t n = strlen(reason);
        ssize_t w = write(wfd, reason, n);
        (void)w;
    }
    _exit(rc == 0 ? 0 : 1);
}

int probe_spawn(const struct probe *p, pid_t *pid, int *fd)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        errno = saved;
        return -1;
    }
    if (child == 0) {
        close(pipefd[0]);
        run_child(p, pipefd[1]);
    }
    setpgid(child, child); /* also in the child: whichever runs first */
    close(pipefd[1]);
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    *pid = child;
    *fd = pipefd[0];
    return 0;
}
