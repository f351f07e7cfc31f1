/* http.c: mockpacs's status page on lib/httpd: GET /health answers "ok";
 * GET /status answers the counters as JSON. */
#include "httpd.h"
#include "mock.h"

#include <string.h>

static int page(const char *path, struct strbuf *body, const char **type, void *ud)
{
    struct mock *m = ud;
    if (strcmp(path, "/health") == 0) {
        strbuf_adds(body, "ok\n");
        return 200;
    }
    if (strcmp(path, "/status") && strcmp(path, "/")) {
        strbuf_adds(body, "not found\n");
        return 404;
    }
    *type = "application/json";
    strbuf_addf(body,
                "{\"aet\": \"%s\", \"port\": %u, \"studies\": %u, \"stored\": %zu, \"associations\": %lu, "
                "\"finds\": %lu, \"instances_retrieved\": %lu, \"studies_pushed\": %lu, \"last_activity\": %lld}\n",
                m->site.aet, m->site.port, m->catalog.nstudies, m->store.n, (unsigned long)m->associations,
                (unsigned long)m->finds, (unsigned long)m->retrieved, (unsigned long)m->pushed,
                (long long)m->last_activity);
    return 200;
}

int http_start(struct mock *m, unsigned port)
{
    if (httpd_start(&m->httpd, port, page, m) < 0)
        return -1;
    m->has_http = 1;
    return 0;
}
