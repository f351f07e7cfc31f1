/* main.c: cirr-init, the PID 1 of every cirr image.
 *
 *   cirr-init [options] -- CMD [ARGS...]   run CMD like tini
 *   cirr-init [options] [-f FILE]          run the services in FILE
 *   cirr-init [options] -f FILE -- CMD     both: CMD is the main service
 *   cirr-init health                       Docker HEALTHCHECK
 *   cirr-init check [-f FILE]              validate configuration only
 *   cirr-init render TEMPLATE              render a template to stdout
 *
 * Exit codes: the main service's status (128+N if it died of signal N,
 * 126/127 if it could not be executed); 99 a dependency was not ready in
 * time; 100 usage or configuration error; 111 system call failure. */
#include "config.h"
#include "health.h"
#include "list.h"
#include "log.h"
#include "render.h"
#include "secrets.h"
#include "servicefile.h"
#include "settings.h"
#include "strbuf.h"
#include "supervisor.h"
#include "template.h"
#include "textfile.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_SERVICES "/etc/cirr/services"
#define CIRR_VERSION "0.1.0"

static const char usage[] =
    "usage: cirr-init [-v|-q] [-T] [-f FILE] [--prefix] [--orphan-grace DUR] [-- CMD [ARGS...]]\n"
    "       cirr-init health | check [-f FILE] | render TEMPLATE | --version\n";

static const char commands_and_options[] =
    "\n"
    "Commands:\n"
    "  (none)              run CMD (after --), the services of the service file, or both\n"
    "  health              print one line; exit 0 when healthy (Docker HEALTHCHECK)\n"
    "  check               validate the configuration; start nothing\n"
    "  render TEMPLATE     render a template to stdout\n"
    "\n"
    "Options:\n"
    "  -f, --file FILE     service file\n"
    "  -v, -q              more / less verbose (repeatable)\n"
    "  -T, --timestamps    prefix every line (init's and services') with a UTC timestamp\n"
    "  --prefix            in -- CMD mode, relay the command's output as 'name: line'\n"
    "  --orphan-grace DUR  time orphans get after SIGTERM at shutdown (default 2s)\n"
    "  -s, -g              tini's flags, accepted (both are always on)\n"
    "  --version           print the version\n"
    "  -h, --help          this text\n"
    "\n";

static void print_help(void)
{
    fputs(usage, stdout);
    fputs(commands_and_options, stdout);
    settings_help(stdout);
}

struct options {
    const char *file;
    int prefix;
    int verbosity_delta;
    int grace_given;
    unsigned orphan_grace_ms;
    char **cmd;
};

static void parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"prefix", no_argument, NULL, 'P'},
        {"orphan-grace", required_argument, NULL, 'G'},
        {"timestamps", no_argument, NULL, 'T'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* '+': stop at the first non-option, as tini does */
    while ((c = getopt_long(argc, argv, "+f:vqTsgh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->file = optarg; break;
        case 'P': o->prefix = 1; break;
        case 'v': o->verbosity_delta++; break;
        case 'q': o->verbosity_delta--; break;
        case 'T': log_timestamps = 1; break;
        case 's': case 'g': break; /* tini's -s and -g: always on here */
        case 'G':
            if (parse_duration_ms(optarg, &o->orphan_grace_ms) < 0)
                die(100, "--orphan-grace: invalid duration '%s'", optarg);
            o->grace_given = 1;
            break;
        case 'V': printf("cirr-init %s\n", CIRR_VERSION); exit(0);
        case 'h': print_help(); exit(0);
        default: fputs(usage, stderr); exit(100);
        }
    }
    if (optind < argc)
        o->cmd = argv + optind;
}

static void load_settings(struct init_settings *st)
{
    char err[512];
    if (settings_load(st, err, sizeof err) < 0)
        die(100, "%s", err);
}

static const char *env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

static int env_is_secret(const char *name, void *ctx)
{
    (void)ctx;
    return secrets_is_secret(name);
}

const struct template_env template_process_env = {env_lookup, env_is_secret, NULL};

static void load_secrets(const struct init_settings *st)
{
    char msg[512];
    log_set_text_redactor(secrets_redact_text);
    if (secrets_load(st->secrets_dir, st->file_env, msg, sizeof msg) < 0)
        die(100, "%s", msg);
}

/* The command after -- becomes a service named after the program. */
static void add_command_service(struct config *cfg, char **cmd, int prefix)
{
    cfg->services = xrealloc(cfg->services, (cfg->service_count + 1) * sizeof *cfg->services);
    struct service *s = &cfg->services[cfg->service_count++];
    memset(s, 0, sizeof *s);
    char *copy = xstrdup(cmd[0]);
    s->name = xstrdup(basename(copy));
    free(copy);
    size_t n = list_len(cmd);
    s->argv = xmalloc((n + 1) * sizeof *s->argv);
    for (size_t i = 0; i <= n; i++)
        s->argv[i] = cmd[i] ? xstrdup(cmd[i]) : NULL;
    s->is_main = 1;
    s->restart = RESTART_NEVER;
    s->stop_signal = SIGTERM;
    s->stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
    s->wait_timeout_ms = DEFAULT_WAIT_TIMEOUT_MS;
    s->prefix_output = prefix;
    for (unsigned i = 0; i + 1 < cfg->service_count; i++)
        cfg->services[i].is_main = 0;
}

static void load_config(struct config *cfg, const struct options *o, const struct init_settings *st)
{
    char err[512];
    const char *file = o->file ? o->file : *st->services ? st->services : NULL;
    if (!file && !o->cmd && access(DEFAULT_SERVICES, F_OK) == 0)
        file = DEFAULT_SERVICES;
    if (!file && !o->cmd)
        die(100, "nothing to run: give a command after -- or a service file (-f FILE)");
    cfg->traefik_dir = *st->traefik_dir ? st->traefik_dir : NULL;
    cfg->ca_bundle = st->ca_bundle;
    if (file) {
        char *text = textfile_read(file, 1024 * 1024);
        if (!text)
            die(100, "cannot read service file %s: %s", file, strerror(errno));
        int rc = servicefile_parse(file, text, &template_process_env, cfg, err, sizeof err);
        free(text);
        if (rc < 0)
            die(100, "%s", err);
    }
    if (o->cmd)
        add_command_service(cfg, o->cmd, o->prefix);
    if (config_finish(cfg, err, sizeof err) < 0)
        die(100, "%s", err);
}

static int render_command(int argc, char **argv)
{
    struct init_settings st;
    if (argc != 3)
        die(100, "usage: cirr-init render TEMPLATE");
    load_settings(&st);
    load_secrets(&st);
    char *text = textfile_read(argv[2], 1024 * 1024);
    if (!text)
        die(100, "cannot read template %s: %s", argv[2], strerror(errno));
    char *out;
    struct template_error terr;
    if (template_render(text, &template_process_env, &out, NULL, &terr) < 0)
        die(100, "%s:%d: %s", argv[2], terr.line, terr.message);
    printf("%s\n", out);
    free(out);
    free(text);
    return 0;
}

static int health_command(void)
{
    struct init_settings st;
    load_settings(&st);
    return health_main(st.rundir);
}

/* A tini-style command line (-- CMD, no service file) is quiet (warnings
 * only) unless CIRR_VERBOSITY says otherwise; -v and -q adjust either. */
static void set_verbosity(const struct options *o, const struct init_settings *st)
{
    int tini_style = o->cmd && !o->file && !*st->services;
    log_verbosity = tini_style && !settings_verbosity_given() ? LOG_WARN : (int)st->verbosity;
    log_verbosity += o->verbosity_delta;
    if (st->timestamps)
        log_timestamps = 1;
}

/* --orphan-grace, else CIRR_ORPHAN_GRACE (default 2s). */
static unsigned orphan_grace_ms(const struct options *o, const struct init_settings *st)
{
    unsigned ms;
    if (parse_duration_ms(st->orphan_grace, &ms) < 0)
        die(100, "CIRR_ORPHAN_GRACE: invalid duration '%s'", st->orphan_grace);
    return o->grace_given ? o->orphan_grace_ms : ms;
}

/* How the supervisor runs: the command after -- owns the terminal and gets
 * the signal that stops cirr-init, as under tini. */
static struct supervisor_opts supervisor_opts(const struct options *o, const struct init_settings *st)
{
    return (struct supervisor_opts){
        .rundir = st->rundir,
        .orphan_grace_ms = orphan_grace_ms(o, st),
        .tty_fd = o->cmd && !o->prefix && isatty(STDIN_FILENO) ? STDIN_FILENO : -1,
        .forward_to_main = o->cmd != NULL,
    };
}

static int supervise(struct config *cfg, const struct supervisor_opts *so)
{
    struct supervisor sup;
    if (supervisor_init(&sup, cfg, so) < 0)
        die_sys(111, "unable to set up signal handling");
    int code = supervisor_run(&sup);
    supervisor_free(&sup);
    return code;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    struct init_settings st;
    struct config cfg = {0};
    log_prog = "cirr-init";

    /* 1. Subcommands that start nothing. */
    if (argc >= 2 && strcmp(argv[1], "health") == 0)
        return health_command();
    if (argc >= 2 && strcmp(argv[1], "render") == 0)
        return render_command(argc, argv);
    int check_only = argc >= 2 && strcmp(argv[1], "check") == 0;

    /* 2. Options, then cirr-init's own environment (settings.h). */
    parse_options(argc - check_only, argv + check_only, &o);
    load_settings(&st);
    set_verbosity(&o, &st);
    struct supervisor_opts so = supervisor_opts(&o, &st);

    /* 3. Secrets, configuration and templates: all checked before anything
     *    starts, so a bad setting never leaves a service half-started. */
    load_secrets(&st);
    load_config(&cfg, &o, &st);
    if (check_only) {
        printf("%s: ok (%u services and tasks, %u probes)\n", cfg.path ? cfg.path : "command line",
               cfg.service_count, cfg.probe_count);
        config_free(&cfg);
        return 0;
    }
    char err[512];
    if (render_all(&cfg, &template_process_env, err, sizeof err) < 0)
        die(100, "%s", err);

    /* 4. Signals, subreaper, run directory; then supervise until done. */
    int code = supervise(&cfg, &so);
    config_free(&cfg);
    return code;
}
