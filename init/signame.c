/* signame.c: signal names both ways (see signame.h). */
#include "signame.h"

#include <signal.h>
#include <stdio.h>
#include <strings.h>

static const struct {
    const char *name;
    int sig;
} table[] = {
    {"SIGTERM", SIGTERM}, {"SIGINT", SIGINT}, {"SIGQUIT", SIGQUIT}, {"SIGHUP", SIGHUP},
    {"SIGKILL", SIGKILL}, {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGWINCH", SIGWINCH},
};

int parse_signal_name(const char *s)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcasecmp(s, table[i].name) == 0 || strcasecmp(s, table[i].name + 3) == 0)
            return table[i].sig;
    return -1;
}

const char *signal_name(int sig)
{
    static char buf[32];
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (table[i].sig == sig)
            return table[i].name;
    snprintf(buf, sizeof buf, "signal %d", sig);
    return buf;
}
