/* httpd.h: a very small HTTP/1.1 server for status, health and metrics
 * pages: GET only (httpd_start_requests: GET and POST with a small body),
 * on its own thread, many connections at once, each with
 * a deadline for the whole exchange (httpd.c says why). The handler runs on
 * that thread, one request at a time: it must not block; a request whose
 * handler waits on a peer goes to worker threads (httpd_start_offload). */
#ifndef CIRR_HTTPD_H
#define CIRR_HTTPD_H

#include "strbuf.h"

#include <pthread.h>

/* Fill body and *type for path; return the HTTP status (200, 404, ...). */
typedef int (*httpd_handler)(const char *path, struct strbuf *body, const char **type, void *ud);

/* A request as httpd_start_requests's handler sees it. A POST's body has a
 * Content-Length of at most HTTPD_BODY_MAX (else 411/413, chunked 411),
 * is NUL-terminated (body[body_len]) and may itself contain NULs. */
#define HTTPD_BODY_MAX 8192
struct httpd_request {
    const char *method;          /* "GET" or "POST" */
    const char *path;            /* with its query string */
    const char *content_type;    /* "" when the request names none */
    const char *body;            /* "" for a GET */
    size_t body_len;
};

typedef int (*httpd_request_handler)(const struct httpd_request *req, struct strbuf *body, const char **type,
                                     void *ud);

/* Whether a request's handler may wait (on a peer): see httpd_start_offload. */
typedef int (*httpd_slow_fn)(const struct httpd_request *req, void *ud);

struct httpd_pool;

struct httpd {
    int fd;
    volatile int stop;
    pthread_t thread;
    httpd_handler handler;
    void *ud;
    httpd_request_handler request_handler; /* set by httpd_start_requests only */
    httpd_slow_fn slow;                    /* set by httpd_start_offload only */
    struct httpd_pool *pool;
};

/* Listen on port (all addresses) and serve on a new thread. 0 or -1/errno. */
int httpd_start(struct httpd *h, unsigned port, httpd_handler handler, void *ud);

/* As httpd_start, for a handler that takes POST as well as GET. */
int httpd_start_requests(struct httpd *h, unsigned port, httpd_request_handler handler, void *ud);

/* As httpd_start_requests; and a request for which slow(req, ud) is true
 * runs on one of `workers` threads of its own, while the server's thread
 * goes on answering the others (the handler must then be safe to run on
 * several threads at once). Such a request, once complete, has no
 * exchange deadline: its handler bounds its own time. */
int httpd_start_offload(struct httpd *h, unsigned port, httpd_request_handler handler, httpd_slow_fn slow,
                        unsigned workers, void *ud);

/* Stop serving and join the thread (and the workers, once their requests are done). */
void httpd_stop(struct httpd *h);

#endif
