/* settings.c: cirr-init's environment table (see settings.h). Every
 * variable here appears in doc/cirr-init.md, "Configuration". */
#include "settings.h"

#include "envconf.h"

#define S struct init_settings

static const struct envconf_var table[] = {
    ENVCONF_STR("CIRR_SERVICES", "", S, services, "service file when -f is not given "
                "(without either, /etc/cirr/services unless a command is given)"),
    ENVCONF_NUM("CIRR_VERBOSITY", "3", 0, 5, S, verbosity,
                "0 fatal ... 5 trace (2 when unset in -- CMD mode); -v and -q adjust it"),
    ENVCONF_BOOL("CIRR_LOG_TIMESTAMPS", "false", S, timestamps, "true: the same as -T"),
    ENVCONF_STR("CIRR_ORPHAN_GRACE", "2s", S, orphan_grace, "time orphans get between SIGTERM "
                "and SIGKILL at shutdown (--orphan-grace wins)"),
    ENVCONF_STR("CIRR_RUNDIR", "/run/cirr", S, rundir, "where the status file is published"),
    ENVCONF_STR("CIRR_SECRETS_DIR", "/run/secrets", S, secrets_dir, "Docker secrets folder"),
    ENVCONF_STR("CIRR_FILE_ENV", "", S, file_env, "more NAMEs whose NAME_FILE is a secret"),
    ENVCONF_STR("CIRR_TRAEFIK_DIR", "", S, traefik_dir, "default traefik-dir of every service"),
    ENVCONF_STR("CIRR_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt", S, ca_bundle,
                "CA bundle of https probes without their own `ca`"),
};

#undef S

int settings_load(struct init_settings *s, char *err, size_t cap)
{
    return envconf_load(table, sizeof table / sizeof *table, s, err, cap);
}

int settings_verbosity_given(void)
{
    return envconf_get("CIRR_VERBOSITY", NULL) != NULL;
}

void settings_help(FILE *out)
{
    envconf_help(out, table, sizeof table / sizeof *table);
}
