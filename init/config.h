/* config.h: what cirr-init runs, as read from the command line and the
 * service file (servicefile.c). Read-only once config_finish has run;
 * runtime state lives in service_sm.h and probe_sched.h. */
#ifndef CIRR_CONFIG_H
#define CIRR_CONFIG_H

#include "identity.h"

#include <stdint.h>
#include <sys/types.h>

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
enum probe_kind { PROBE_HTTP, PROBE_HTTPS, PROBE_POSTGRES, PROBE_TCP, PROBE_EXEC };

struct probe {
    char *name;
    int line;
    enum probe_kind kind;
    char *target;          /* url, conninfo or host:port */
    char **argv;           /* exec */
    int expect_status;     /* http: expected status (default 200) */
    char *user;            /* http basic auth user (literal) */
    char *user_env;        /* ... or the variable that holds it */
    char *password_env;    /* variable holding the http/postgres password */
    char *ca_file;         /* http: CA bundle (default: config's ca_bundle) */
    char *cert_file, *key_file; /* http: client certificate */
    int insecure;          /* http: skip certificate verification */
    int pg_query;          /* postgres: log in and run SELECT 1 */
    unsigned timeout_ms;   /* hard limit; the probe process is killed after it */
    unsigned interval_ms;  /* between runs */
    /* Who runs it: `probe-user`, else for an exec probe the user of the
     * services it serves (config_finish); else cirr-init's own. */
    struct identity id;
    char **env_allow;      /* exec: what it may see (NULL: everything) */
};

struct template_spec {
    char *src, *dst;
    int line;
};

struct traefik_spec {
    char *rule;            /* router rule, e.g. PathPrefix(`/archive`) */
    char *dir;             /* file-provider directory */
    char *entrypoints;     /* comma-separated */
    char *strip_prefix;    /* optional stripPrefix middleware */
    char *host;            /* backend host (default: hostname) */
    char *scheme;          /* http (default) or https */
    unsigned port;
};

struct service {
    char *name;
    int line;
    int is_task;           /* one-shot setup task */
    int is_main;           /* its exit ends cirr-init with its status */
    char **argv;
    enum restart_policy restart;
    char **wait;           /* probe names to pass before start */
    char **after;          /* services that must be ready before start */
    unsigned wait_timeout_ms;
    char *ready;           /* readiness probe name (NULL: ready when started) */
    char **health;         /* health probes (default: the ready probe) */
    int stop_signal;
    unsigned stop_timeout_ms;
    unsigned backoff_ms, backoff_max_ms, stable_ms, max_fast_failures;
    struct identity id;    /* user, group, supplementary groups */
    int has_umask;
    mode_t umask;
    char *workdir;
    char **env_allow;      /* NULL: inherit everything */
    struct template_spec *templates;
    unsigned template_count;
    struct traefik_spec traefik; /* active when rule is set */
    int prefix_output;     /* relay output through init with a name prefix */
};

struct config {
    const char *path;      /* service file, or NULL */
    /* Defaults from cirr-init's environment (settings.h), set before parsing. */
    const char *traefik_dir; /* CIRR_TRAEFIK_DIR: traefik-dir of every service, or NULL */
    const char *ca_bundle;   /* CIRR_CA_BUNDLE: ca of every probe, or NULL */
    struct service *services; /* tasks first in file order, then services */
    unsigned service_count;
    struct probe *probes;
    unsigned probe_count;
};

/* Defaults, in one place (documented in doc/cirr-init.md). */
#define DEFAULT_STOP_TIMEOUT_MS 7000u
#define DEFAULT_WAIT_TIMEOUT_MS 60000u
#define DEFAULT_BACKOFF_MS 1000u
#define DEFAULT_BACKOFF_MAX_MS 30000u
#define DEFAULT_STABLE_MS 10000u
#define DEFAULT_MAX_FAST_FAILURES 5u
#define DEFAULT_PROBE_TIMEOUT_MS 5000u
#define DEFAULT_PROBE_INTERVAL_MS 10000u

struct probe *config_probe(const struct config *cfg, const char *name);
struct service *config_service(const struct config *cfg, const char *name);
void config_free(struct config *cfg);

#endif
