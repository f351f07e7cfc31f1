/* settings.c: cirr-verify's environment table. */
#include "settings.h"

#include "envconf.h"

#include <string.h>

#define UNIX_SCHEME "unix://"

static const struct envconf_var table[] = {
    ENVCONF_STR("DOCKER_HOST", "unix:///var/run/docker.sock", struct verify_settings, docker_host,
                "the Docker engine `verify` asks for images (unix:// sockets only), as docker's own"),
};

int settings_load(struct verify_settings *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (envconf_load(table, sizeof table / sizeof *table, s, err, cap) < 0)
        return -1;
    size_t n = strlen(UNIX_SCHEME);
    if (strncmp(s->docker_host, UNIX_SCHEME, n) != 0 || s->docker_host[n] != '/')
        return envconf_fail(err, cap, "DOCKER_HOST: expected unix:///PATH (the engine's unix socket), got '%.200s'",
                            s->docker_host);
    s->docker_socket = s->docker_host + n;
    return 0;
}

void settings_help(FILE *out)
{
    envconf_help(out, table, sizeof table / sizeof *table);
}
