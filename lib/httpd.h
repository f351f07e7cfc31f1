/* httpd.h: a very small HTTP/1.1 server for status, health and metrics
 * pages: GET only, on its own thread, many connections at once, each with
 * a deadline for the whole exchange (httpd.c says why). The handler runs on
 * that thread, one request at a time: it must not block. */
#ifndef CIRR_HTTPD_H
#define CIRR_HTTPD_H

#include "strbuf.h"

#include <pthread.h>

/* Fill body and *type for path; return the HTTP status (200, 404, ...). */
typedef int (*httpd_handler)(const char *path, struct strbuf *body, const char **type, void *ud);

struct httpd {
    int fd;
    volatile int stop;
    pthread_t thread;
    httpd_handler handler;
    void *ud;
};

/* Listen on port (all addresses) and serve on a new thread. 0 or -1/errno. */
int httpd_start(struct httpd *h, unsigned port, httpd_handler handler, void *ud);

/* Stop serving and join the thread. */
void httpd_stop(struct httpd *h);

#endif
