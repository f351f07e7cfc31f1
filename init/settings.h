/* settings.h: cirr-init's own environment, as one envconf table (lib/envconf.h).
 *
 * Only the variables that configure cirr-init itself; the services' own
 * variables pass through untouched. The same table loads the settings
 * and prints the Environment part of `cirr-init --help`, and the
 * "Configuration" section of doc/cirr-init.md lists every one of them. */
#ifndef CIRR_SETTINGS_H
#define CIRR_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

struct init_settings {
    const char *services;      /* CIRR_SERVICES: service file; "" when unset */
    const char *rundir;        /* CIRR_RUNDIR: where the status file goes */
    const char *secrets_dir;   /* CIRR_SECRETS_DIR: Docker secrets folder */
    const char *file_env;      /* CIRR_FILE_ENV: comma list of NAMEs; "" when unset */
    unsigned verbosity;        /* CIRR_VERBOSITY: LOG_FATAL (0) .. LOG_TRACE (5) */
    int timestamps;            /* CIRR_LOG_TIMESTAMPS: 1 = like -T */
    const char *orphan_grace;  /* CIRR_ORPHAN_GRACE: a duration, like --orphan-grace */
    const char *traefik_dir;   /* CIRR_TRAEFIK_DIR: default traefik-dir; "" when unset */
    const char *ca_bundle;     /* CIRR_CA_BUNDLE: CA bundle for https probes */
};

/* Read the table from the environment. Returns 0, or -1 with one line in
 * err naming the variable at fault. */
int settings_load(struct init_settings *s, char *err, size_t cap);

/* Nonzero when CIRR_VERBOSITY is set: without it, a tini-style command
 * line is quieter than the table's default. */
int settings_verbosity_given(void);

/* The Environment part of --help. */
void settings_help(FILE *out);

#endif
