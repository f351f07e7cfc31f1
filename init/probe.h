/* probe.h: health and readiness probes. A probe always runs in its own
 * child process (probe_spawn), so a hanging peer can never block the
 * supervisor's reaping or signal handling: the parent kills it at its
 * timeout. */
#ifndef CIRR_PROBE_H
#define CIRR_PROBE_H

#include "config.h"

#include <stddef.h>
#include <sys/types.h>

/* Start p in a child of its own process group, as p->id (its user and
 * groups; an exec probe with p->env_allow's variables only). On success
 * returns 0 with the child's pid and the read end of a pipe on which the
 * child writes one line saying why it failed (nothing when it passed). Its
 * exit status is 0 when the probe passed. */
int probe_spawn(const struct probe *p, pid_t *pid, int *fd);

/* The probe kinds, run inside the probe child. Each returns 0 when healthy,
 * or 1 with a one-line reason in reason: formatted with log_format, which
 * redacts the whole text before it is cut to fit, never with snprintf. */
int probe_http(const struct probe *p, char *reason, size_t cap);
int probe_postgres(const struct probe *p, char *reason, size_t cap);
int probe_tcp(const struct probe *p, char *reason, size_t cap);

const char *probe_kind_name(enum probe_kind kind);

#endif
