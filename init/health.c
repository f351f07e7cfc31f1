/* health.c: reads RUNDIR/status (status.c) and says whether all is well. */
#include "health.h"

#include "secrets.h"
#include "textfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNHEALTHY(...) (snprintf(msg, cap, "unhealthy: " __VA_ARGS__), 1)

/* Look up the result and reason of probe `name` in the status text. */
static int probe_line(const char *text, const char *name, char *result, size_t rcap, char *reason,
                      size_t cap)
{
    char key[200];
    snprintf(key, sizeof key, "\nprobe %s ", name);
    const char *p = strstr(text, key);
    if (!p)
        return -1;
    p += strlen(key);
    size_t n = strcspn(p, " \n");
    snprintf(result, rcap, "%.*s", (int)n, p);
    p += n;
    if (*p == ' ')
        p++;
    snprintf(reason, cap, "%.*s", (int)strcspn(p, "\n"), p);
    return 0;
}

static int judge_service(const char *text, const char *line, char *msg, size_t cap)
{
    char kind[16], name[128], state[16], pid[16], restarts[16], last[16], health[512];
    if (sscanf(line, "%15s %127s %15s %15s %15s %15s %511s", kind, name, state, pid, restarts, last,
               health) != 7)
        return UNHEALTHY("malformed status line");
    if (strcmp(kind, "task") == 0)
        return strcmp(state, "exited") == 0 && strcmp(last, "0") == 0
                   ? 0 : UNHEALTHY("task %s is %s", name, state);
    if (strcmp(state, "ready") != 0 && strcmp(state, "starting") != 0) {
        if (strcmp(last, "-") != 0)
            return UNHEALTHY("service %s is %s (last exit status %s, %s restarts)", name, state,
                             last, restarts);
        return UNHEALTHY("service %s is %s", name, state);
    }
    if (strcmp(health, "-") == 0)
        return 0;
    for (char *tok = strtok(health, ","); tok; tok = strtok(NULL, ",")) {
        char result[16], reason[300];
        if (probe_line(text, tok, result, sizeof result, reason, sizeof reason) < 0)
            return UNHEALTHY("probe %s missing from status", tok);
        if (strcmp(result, "pass") == 0)
            continue;
        if (strcmp(result, "pending") == 0)
            return UNHEALTHY("service %s: probe %s has not run yet", name, tok);
        return UNHEALTHY("service %s: probe %s failing: %s", name, tok, reason);
    }
    return 0;
}

int health_judge(const char *text, int (*pid_alive)(int pid), char *msg, size_t cap)
{
    int pid = 0, services = 0;
    char phase[32] = "";
    if (strncmp(text, "cirr-init-status 1\n", 19) != 0)
        return UNHEALTHY("status file not recognised");
    const char *p = strstr(text, "\npid ");
    if (!p || sscanf(p, "\npid %d", &pid) != 1)
        return UNHEALTHY("status file has no pid");
    if (!pid_alive(pid))
        return UNHEALTHY("cirr-init (pid %d) is not running", pid);
    p = strstr(text, "\nphase ");
    if (!p || sscanf(p, "\nphase %31s", phase) != 1)
        return UNHEALTHY("status file has no phase");
    if (strcmp(phase, "tasks") == 0)
        return UNHEALTHY("start-up tasks still running");
    if (strcmp(phase, "services") != 0)
        return UNHEALTHY("shutting down");
    for (p = text; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncmp(p, "service ", 8) && strncmp(p, "task ", 5))
            continue;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
        if (judge_service(text, line, msg, cap))
            return 1;
        services += strncmp(p, "service ", 8) == 0;
    }
    snprintf(msg, cap, "healthy: %d service%s running", services, services == 1 ? "" : "s");
    return 0;
}

static int alive(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

int health_main(const char *rundir)
{
    char path[4096], msg[512];
    snprintf(path, sizeof path, "%s/status", rundir);
    char *text = textfile_read(path, 1024 * 1024);
    if (!text) {
        printf("unhealthy: cannot read %s: %s (is cirr-init running?)\n", path, strerror(errno));
        return 1;
    }
    int rc = health_judge(text, alive, msg, sizeof msg);
    free(text);
    printf("%s\n", msg);
    return rc;
}
