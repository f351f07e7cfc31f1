/* servicefile.h: the service file format (doc/cirr-init.md, "Service file").
 *
 *   # comment
 *   [probe NAME]   kind = http|https|postgres|tcp|exec, then its keys
 *   [task NAME]    a one-shot setup step, run in file order before services
 *   [service NAME] a long-running, supervised service
 *   key = value    ${VAR} references in values are expanded (template.h);
 *                  a command, a template or a comma list is split first and
 *                  expanded within each word (words.h)
 *
 * Parsing never starts anything: errors come back as "FILE:LINE: what". */
#ifndef CIRR_SERVICEFILE_H
#define CIRR_SERVICEFILE_H

#include "config.h"
#include "template.h"

#include <stddef.h>

/* Parse text (the contents of path) into cfg, appending to what cfg already
 * holds. Returns 0, or -1 with one line "path:line: message" in err. */
int servicefile_parse(const char *path, const char *text, const struct template_env *env,
                      struct config *cfg, char *err, size_t cap);

/* Check references and order services: tasks first, services so that each
 * starts after those it names in `after`. Returns 0 or -1 with err set. */
int config_finish(struct config *cfg, char *err, size_t cap);

/* Parse "5s", "250ms", "2m", "1h" or a bare number of seconds. */
int parse_duration_ms(const char *s, unsigned *out);

#endif
