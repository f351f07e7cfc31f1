/* template.h: the ${VAR} template language of cirr-init.
 *
 *   $$                  a literal dollar sign
 *   ${NAME}             the variable's value; empty when unset (as in sh)
 *   ${NAME:-default}    default when NAME is unset or empty
 *   ${NAME:?message}    stop with "NAME: message" when unset or empty
 *   ${NAME|json}        filter: escape the value for a JSON string
 *
 * A filter may follow a default or a message: ${NAME:-x|json}. Defaults and
 * messages cannot contain '|' or '}'. A '$' not followed by '{' or '$' is
 * copied as it is. */
#ifndef CIRR_TEMPLATE_H
#define CIRR_TEMPLATE_H

#include <stddef.h>

struct template_env {
    /* Value of NAME, or NULL when unset. */
    const char *(*lookup)(const char *name, void *ctx);
    /* Nonzero when NAME holds a secret (may be NULL). */
    int (*is_secret)(const char *name, void *ctx);
    void *ctx;
};

struct template_error {
    int line;          /* 1-based line of the text where the error is */
    char message[256]; /* names the variable, never its value */
};

/* Render text. On success returns 0, *out is a malloc'd NUL-terminated
 * string the caller frees, and *used_secret says whether any secret was
 * substituted. On error returns -1 and fills *err; *out is untouched. */
int template_render(const char *text, const struct template_env *env, char **out,
                    int *used_secret, struct template_error *err);

/* The process environment with secrets.c's secret names. */
extern const struct template_env template_process_env;

#endif
