/* spawn.h: starts a service or task process. */
#ifndef CIRR_SPAWN_H
#define CIRR_SPAWN_H

#include "config.h"

#include <sys/types.h>

/* Fork and exec s->argv in a new process group, with the service's user,
 * groups (identity.h), umask, working directory and
 * environment allow-list. When s->prefix_output is set, *out_fd and *err_fd
 * receive the read ends of its stdout and stderr pipes (non-blocking);
 * otherwise they are -1 and the service inherits init's. When tty_fd >= 0
 * the child takes the terminal's foreground. If exec fails the child prints
 * one line and exits 127 (not found) or 126 (cannot execute).
 * Returns the pid, or -1 with errno set. */
pid_t spawn_service(const struct service *s, int tty_fd, int *out_fd, int *err_fd);

/* The environment a child sees: everything (allow NULL), or only the
 * variables named in allow. The vector is malloc'd unless it is environ;
 * for a child about to exec. */
char **spawn_environ(char *const *allow);

/* The exit status a shell would report: the code, or 128+signal. */
int spawn_exit_status(int wait_status);

#endif
