/* health.h: `cirr-init health`, Docker's HEALTHCHECK without a shell. */
#ifndef CIRR_HEALTH_H
#define CIRR_HEALTH_H

#include <stddef.h>

/* Judge the status text published by a running cirr-init. Returns 0 when
 * every service runs and every health probe passes, else 1; either way one
 * line for people goes into msg. pid_alive says whether the pid in the
 * text is a running process. */
int health_judge(const char *status_text, int (*pid_alive)(int pid), char *msg, size_t cap);

/* The command: read RUNDIR/status, print the line, return the exit code. */
int health_main(const char *rundir);

#endif
