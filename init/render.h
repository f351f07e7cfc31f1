/* render.h: renders every service's templates before anything starts. */
#ifndef CIRR_RENDER_H
#define CIRR_RENDER_H

#include "config.h"
#include "template.h"

#include <stddef.h>

/* Render one template file to its destination: written atomically, mode
 * 0600 when a secret was substituted (0644 otherwise), owned by the
 * service's user and group when it has them. Returns 0, or -1 with one
 * line in err ("SRC:LINE: message" for template errors). */
int render_template(const struct service *s, const struct template_spec *t,
                    const struct template_env *env, char *err, size_t cap);

/* Render the templates of every service and task; stops at the first
 * error. */
int render_all(const struct config *cfg, const struct template_env *env, char *err, size_t cap);

#endif
