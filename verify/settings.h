/* settings.h: cirr-verify's environment table (one variable: where the
 * Docker engine is), printed by --help and listed in doc/verify.md. */
#ifndef CIRR_VERIFY_SETTINGS_H
#define CIRR_VERIFY_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

struct verify_settings {
    const char *docker_host;   /* unix:///path */
    const char *docker_socket; /* the path in it */
};

/* 0, or -1 with one line naming the variable in err. */
int settings_load(struct verify_settings *s, char *err, size_t cap);

void settings_help(FILE *out);

#endif
