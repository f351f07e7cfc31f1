/* http.h: the bridge's HTTP port: GET /health, Prometheus /metrics, the
 * JSON API (api.h) and the query page (page.h). */
#ifndef BRIDGE_HTTP_H
#define BRIDGE_HTTP_H

#include "strbuf.h"

/* lib/httpd's handler; ud: struct bridge. */
int http_page(const char *path, struct strbuf *body, const char **type, void *ud);

#endif
