/* cirr-splunk-setup: sets Splunk up without clicks, once, as the admin
 * stack's splunk-setup service (doc/splunk.md): on Splunk's management
 * API it creates the indexes, enables HEC with its SSL as configured,
 * creates or corrects the watchers' HEC token and sets the sourcetype's
 * JSON truncation limit. It reads before it writes, so a second run
 * changes nothing and says so; one stdout line per thing it checks.
 *
 * Exit codes: 0 Splunk is set up; 100 bad configuration (a variable, a
 * secret file, or the admin password Splunk refuses); 1 Splunk unreachable
 * (after SPLUNK_WAIT_S) or an answer it should not give. */
#include "log.h"
#include "rest.h"
#include "setupconf.h"
#include "steps.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: cirr-splunk-setup [--help]";

static int help(void)
{
    printf("%s\n\n"
           "Sets Splunk up on its management API: the indexes, HEC on (its SSL as configured),\n"
           "the HEC token, the sourcetype's TRUNCATE; prints one line per thing it checks.\n\n"
           "Exit codes: 0 Splunk is set up; 100 bad configuration or the password Splunk refuses;\n"
           "1 Splunk unreachable (after SPLUNK_WAIT_S) or an answer it should not give.\n\n",
           usage);
    setup_conf_help(stdout);
    return 0;
}

/* Every step in order; 0 or the exit code of the first that failed. */
static int run_steps(struct setup *s)
{
    int rc = 0;
    for (char **i = s->conf->indexes; *i && !rc; i++)
        rc = step_index(s, *i);
    if (!rc)
        rc = step_hec(s);
    if (!rc)
        rc = step_token(s);
    if (!rc)
        rc = step_truncate(s);
    return rc;
}

int main(int argc, char **argv)
{
    log_prog = "cirr-splunk-setup";
    /* 1. The command line. */
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return help();
    if (argc > 1)
        die(100, "unknown argument %s (%s)", argv[1], usage);
    /* 2. The configuration and the secrets, all checked before Splunk is called. */
    struct setup_conf conf;
    char err[1024];
    if (setup_conf_load(&conf, err, sizeof err) < 0)
        die(100, "%s", err);
    /* 3. The client (a peer that closes the connection is an error return,
     * not SIGPIPE: libcurl is told not to touch signals). */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        die(111, "libcurl did not initialise");
    struct setup s = {.conf = &conf};
    if (rest_open(&s.rest, &conf) < 0)
        die(111, "libcurl: no handle");
    /* 4. The steps, each reading before it writes. */
    int rc = run_steps(&s);
    if (rc)
        log_msg(LOG_FATAL, NULL, "%s", s.rest.err);
    else if (s.changes)
        printf("splunk-setup: %u change%s made\n", s.changes, s.changes == 1 ? "" : "s");
    else
        printf("splunk-setup: nothing to change, Splunk was already set up\n");
    /* 5. Done: what was held is given back (ASan checks it). */
    rest_close(&s.rest);
    setup_conf_free(&conf);
    curl_global_cleanup();
    return rc;
}
