/* traefik.c: writes Traefik v3 file-provider fragments (see traefik.h). The
 * output is checked in tests against the schema in shared/reference. */
#include "traefik.h"

#include "atomicfile.h"
#include "list.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Router, service and middleware names: <service>-<host>, restricted to
 * characters Traefik accepts in names. */
static void object_name(const struct service *s, const char *hostname, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%s", s->name, hostname);
    for (char *p = buf; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            *p = '-';
}

/* A YAML double-quoted scalar uses JSON's escapes. */
static void add_quoted(struct strbuf *sb, const char *s)
{
    strbuf_adds(sb, "\"");
    strbuf_add_json(sb, s);
    strbuf_adds(sb, "\"");
}

static void add_entrypoints(struct strbuf *sb, const char *list)
{
    strbuf_adds(sb, "      entryPoints:\n");
    char **items = list_split(list && *list ? list : "web", ',');
    for (char **e = items; *e; e++) {
        strbuf_adds(sb, "        - ");
        add_quoted(sb, *e);
        strbuf_adds(sb, "\n");
    }
    list_free(items);
}

char *traefik_fragment(const struct service *s, const char *hostname)
{
    const struct traefik_spec *t = &s->traefik;
    char name[256], url[512];
    object_name(s, hostname, name, sizeof name);
    snprintf(url, sizeof url, "%s://%s:%u", t->scheme ? t->scheme : "http",
             t->host ? t->host : hostname, t->port);
    struct strbuf sb = {0};
    strbuf_addf(&sb, "# written by cirr-init for service %s; removed when it stops\n", s->name);
    strbuf_adds(&sb, "http:\n  routers:\n");
    strbuf_addf(&sb, "    %s:\n      rule: ", name);
    add_quoted(&sb, t->rule);
    strbuf_addf(&sb, "\n      service: %s\n", name);
    add_entrypoints(&sb, t->entrypoints);
    if (t->strip_prefix) {
        strbuf_addf(&sb, "      middlewares:\n        - %s-strip\n", name);
        strbuf_addf(&sb, "  middlewares:\n    %s-strip:\n      stripPrefix:\n        prefixes:\n"
                         "          - ", name);
        add_quoted(&sb, t->strip_prefix);
        strbuf_adds(&sb, "\n");
    }
    strbuf_addf(&sb, "  services:\n    %s:\n      loadBalancer:\n        servers:\n"
                     "          - url: ", name);
    add_quoted(&sb, url);
    strbuf_adds(&sb, "\n");
    return strbuf_take(&sb);
}

void traefik_path(const struct service *s, const char *hostname, char *buf, size_t cap)
{
    char name[256];
    object_name(s, hostname, name, sizeof name);
    snprintf(buf, cap, "%s/%s.yml", s->traefik.dir, name);
}

int traefik_register(const struct service *s, const char *hostname)
{
    char path[4096];
    traefik_path(s, hostname, path, sizeof path);
    char *text = traefik_fragment(s, hostname);
    int rc = atomicfile_write(path, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1);
    free(text);
    return rc;
}

int traefik_unregister(const struct service *s, const char *hostname)
{
    char path[4096];
    traefik_path(s, hostname, path, sizeof path);
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}
