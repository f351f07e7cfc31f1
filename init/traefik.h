/* traefik.h: Traefik self-registration. When a service with a traefik-rule
 * becomes ready, a file-provider fragment DIR/<service>-<host>.yml routes
 * the rule to it; the fragment is removed when the service stops. */
#ifndef CIRR_TRAEFIK_H
#define CIRR_TRAEFIK_H

#include "config.h"

#include <stddef.h>

/* The fragment's YAML text (malloc'd; caller frees). */
char *traefik_fragment(const struct service *s, const char *hostname);

/* The fragment's path into buf. */
void traefik_path(const struct service *s, const char *hostname, char *buf, size_t cap);

/* Write (atomically) or remove the fragment. Return 0 or -1 with errno. */
int traefik_register(const struct service *s, const char *hostname);
int traefik_unregister(const struct service *s, const char *hostname);

#endif
