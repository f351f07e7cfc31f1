/* spawn.c: fork and exec of supervised processes (see spawn.h). */
#include "spawn.h"

#include "list.h"
#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int spawn_exit_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

char **spawn_environ(char *const *allow)
{
    if (!allow)
        return environ;
    char **env = xmalloc((list_len(allow) + 1) * sizeof *env);
    size_t k = 0;
    for (char *const *a = allow; *a; a++) {
        size_t len = strlen(*a);
        for (char **e = environ; *e; e++)
            if (strncmp(*e, *a, len) == 0 && (*e)[len] == '=') {
                env[k++] = *e;
                break;
            }
    }
    env[k] = NULL;
    return env;
}

/* In the child: one line, redacted (what may hold a value from the
 * service file), whatever the verbosity; then _exit, never exit(). */
static void child_fail(const struct service *s, const char *what, int code)
{
    char line[1024];
    log_format(line, sizeof line, "unable to %s: %s", what, strerror(errno));
    dprintf(STDERR_FILENO, "cirr-init[%s]: fatal: %s\n", s->name, line);
    _exit(code);
}


static void child(const struct service *s, int tty_fd, int out[2], int err[2])
{
    sigset_t none;
    sigemptyset(&none);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    setpgid(0, 0);
    if (tty_fd >= 0) {
        signal(SIGTTOU, SIG_IGN);
        tcsetpgrp(tty_fd, getpgrp());
        signal(SIGTTOU, SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (out[1] >= 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
    }
    const char *what;
    if (identity_apply(&s->id, &what) < 0)
        child_fail(s, what, 126);
    if (s->has_umask)
        umask(s->umask);
    if (s->workdir && chdir(s->workdir) < 0)
        child_fail(s, "change to the working directory", 126);
    execvpe(s->argv[0], s->argv, spawn_environ(s->env_allow));
    char exec_what[512];
    int code = errno == ENOENT ? 127 : 126, saved = errno;
    log_format(exec_what, sizeof exec_what, "exec %s", s->argv[0]);
    errno = saved;
    child_fail(s, exec_what, code);
}

pid_t spawn_service(const struct service *s, int tty_fd, int *out_fd, int *err_fd)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    *out_fd = *err_fd = -1;
    if (s->prefix_output) {
        if (pipe2(out, O_CLOEXEC) < 0)
            return -1;
        if (pipe2(err, O_CLOEXEC) < 0) {
            close(out[0]);
            close(out[1]);
            return -1;
        }
    }
    pid_t pid = fork();
    if (pid == 0)
        child(s, tty_fd, out, err);
    int saved = errno;
    if (pid > 0)
        setpgid(pid, pid); /* also in the child: whichever runs first */
    if (out[1] >= 0) {
        close(out[1]);
        close(err[1]);
        if (pid < 0) {
            close(out[0]);
            close(err[0]);
        } else {
            fcntl(out[0], F_SETFL, O_NONBLOCK);
            fcntl(err[0], F_SETFL, O_NONBLOCK);
            *out_fd = out[0];
            *err_fd = err[0];
        }
    }
    errno = saved;
    return pid;
}
