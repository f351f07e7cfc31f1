/* metrics.h: GET /health and GET /metrics (Prometheus text) on
 * WATCH_HTTP_PORT: events read per route, sent and failed per sink, the
 * outboxes, the delivery lag. */
#ifndef WATCH_METRICS_H
#define WATCH_METRICS_H

#include "strbuf.h"

/* An httpd_handler; ud is the struct watcher. */
int metrics_page(const char *path, struct strbuf *body, const char **type, void *ud);

#endif
