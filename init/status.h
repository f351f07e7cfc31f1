/* status.h: cirr-init's state as RUNDIR/status, for `cirr-init health`
 * (health.c) and for people.
 *
 * Owns: struct status_file, where the file goes and whether writing it
 * still works. It reads the services and probes it is given and changes
 * neither; the event loop (supervisor.c) calls it when something changed.
 *
 * Format, one record a line, fields separated by single spaces:
 *   cirr-init-status 1
 *   pid PID
 *   phase tasks|services|stopping|orphans|done
 *   service NAME STATE PID RESTARTS LAST_STATUS HEALTH_PROBES|-
 *   task NAME STATE PID - LAST_STATUS -
 *   probe NAME pass|fail|pending REASON... */
#ifndef CIRR_STATUS_H
#define CIRR_STATUS_H

#include "probe_sched.h"
#include "service_sm.h"

struct status_file {
    char path[4096];        /* RUNDIR/status; empty: not published */
};

/* Create rundir if needed. When that fails, say once that `cirr-init
 * health` will fail, and publish nothing. rundir may be NULL. */
void status_open(struct status_file *f, const char *rundir);

/* Replace the file (atomically, mode 0640) with the current state. Probe
 * reasons pass through the log redactor; no variable's value is written. */
void status_publish(struct status_file *f, const char *phase, const struct svc_list *services,
                    const struct probe_set *probes);

/* Remove the file: cirr-init is done. */
void status_remove(struct status_file *f);

#endif
