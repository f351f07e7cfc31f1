/* envconf.h: reading settings from the environment, with one error line
 * that names the variable (shared by the services' configuration code). */
#ifndef CIRR_ENVCONF_H
#define CIRR_ENVCONF_H

#include <stddef.h>

/* The variable's value, or fallback when it is unset or empty. */
const char *envconf_get(const char *name, const char *fallback);

/* A whole number from min to max (fallback when unset): 0, or -1 with
 * "NAME: expected a number from MIN to MAX, got 'VALUE'" in err. */
int envconf_number(const char *name, const char *fallback, unsigned long long min,
                   unsigned long long max, unsigned long long *out, char *err, size_t cap);

/* Format one line into err and return -1. */
int envconf_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
