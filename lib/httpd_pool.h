/* httpd_pool.h: worker threads for the requests whose handler waits on
 * something slow (a peer), so that httpd's own thread goes on answering
 * the rest (/health within its probe's timeout). Private to httpd.c: a
 * request goes in as a copy, its response comes back on a done list, and
 * a byte on a pipe wakes httpd's poll loop to collect it. */
#ifndef CIRR_HTTPD_POOL_H
#define CIRR_HTTPD_POOL_H

#include "httpd.h"

#include <pthread.h>

struct httpd_job {
    /* in: which connection asked (slot and its generation: a slot closed
     * meanwhile is not answered), and the request, copied */
    int slot;
    unsigned generation;
    char method[8], path[512], content_type[128];
    char *body;
    size_t body_len;
    /* out */
    int status;
    const char *type;
    struct strbuf response;
    struct httpd_job *next;
};

struct httpd_pool {
    pthread_mutex_t mu;
    pthread_cond_t queued;
    struct httpd_job *todo, *todo_tail, *done;
    int stop;
    int wake[2]; /* [0]: httpd's poll loop reads; [1]: a worker writes when a job is done */
    unsigned nthreads;
    pthread_t *threads;
    httpd_request_handler handler;
    void *ud;
};

/* Start workers threads running handler; 0 or -1/errno. */
int httpd_pool_start(struct httpd_pool *p, unsigned workers, httpd_request_handler handler, void *ud);
/* Queue a job (the pool owns it until it comes back done). */
void httpd_pool_submit(struct httpd_pool *p, struct httpd_job *job);
/* The jobs done since the last call (their responses filled), oldest first. */
struct httpd_job *httpd_pool_take_done(struct httpd_pool *p);
void httpd_job_free(struct httpd_job *job);
/* Finish the running jobs, stop the threads, free what is left. */
void httpd_pool_stop(struct httpd_pool *p);

#endif
