/* metrics.h: cirr-mux's HTTP pages: GET /metrics (Prometheus text, the
 * names in doc/mux.md) and GET /health. */
#ifndef MUX_METRICS_H
#define MUX_METRICS_H

#include "strbuf.h"

/* An httpd_handler; ud is the struct mux. */
int metrics_page(const char *path, struct strbuf *b, const char **type, void *ud);

#endif
