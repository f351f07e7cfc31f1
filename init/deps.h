/* deps.h: what waits for what, between services, tasks and probes.
 *
 * Owns no state: these are read-only questions over the services
 * (service_sm.h) and probes (probe_sched.h) that the event loop
 * (supervisor.c) asks before it sends a service an event or lets a probe
 * run. */
#ifndef CIRR_DEPS_H
#define CIRR_DEPS_H

#include "probe_sched.h"
#include "service_sm.h"

#include <stddef.h>

/* Names of what s still waits for ("probe db, service web") into buf;
 * empty when nothing. */
void deps_missing(const struct svc_list *all, const struct probe_set *probes,
                  const struct svc_rt *s, char *buf, size_t cap);

/* Nonzero while a running service names s in its `after` list: s must
 * keep running until those have stopped. */
int deps_has_live_dependents(const struct svc_list *all, const struct svc_rt *s);

/* Nonzero when something needs p now: a service that may start and waits
 * for it (in_tasks: start-up tasks are running, one at a time), a starting
 * service's readiness probe, or a ready service's health probe. */
int deps_probe_needed(const struct svc_list *all, const struct probe_rt *p, int in_tasks);

#endif
