/* http.h: the bridge's HTTP port: /health, Prometheus /metrics, the
 * JSON API (api.h) and the query page (page.h). */
#ifndef BRIDGE_HTTP_H
#define BRIDGE_HTTP_H

#include "httpd.h"

/* lib/httpd's request handler (GET, and POST to the API); ud: struct bridge. */
int http_page(const struct httpd_request *req, struct strbuf *body, const char **type, void *ud);
/* Whether req's answer waits on the PACS (/api/find): it runs on a worker. */
int http_waits_on_the_pacs(const struct httpd_request *req, void *ud);

#endif
