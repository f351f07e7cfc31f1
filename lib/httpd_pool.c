/* httpd_pool.c: see httpd_pool.h. */
#include "httpd_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void httpd_job_free(struct httpd_job *job)
{
    if (!job)
        return;
    free(job->body);
    strbuf_free(&job->response);
    free(job);
}

static void run(struct httpd_pool *p, struct httpd_job *job)
{
    struct httpd_request req = {job->method, job->path, job->content_type, job->body ? job->body : "",
                                job->body_len};
    job->type = "text/plain; charset=utf-8";
    job->status = p->handler(&req, &job->response, &job->type, p->ud);
}

static void *worker(void *arg)
{
    struct httpd_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->todo && !p->stop)
            pthread_cond_wait(&p->queued, &p->mu);
        if (p->stop)
            break;
        struct httpd_job *job = p->todo;
        p->todo = job->next;
        if (!p->todo)
            p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);
        run(p, job);
        pthread_mutex_lock(&p->mu);
        job->next = p->done;
        p->done = job;
        char one = 1;
        ssize_t w = write(p->wake[1], &one, 1); /* the pipe full: a wake-up is pending anyway */
        (void)w;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int httpd_pool_start(struct httpd_pool *p, unsigned workers, httpd_request_handler handler, void *ud)
{
    *p = (struct httpd_pool){.handler = handler, .ud = ud, .wake = {-1, -1}};
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->queued, NULL);
    p->threads = calloc(workers, sizeof *p->threads);
    if (!p->threads || pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        int saved = errno;
        free(p->threads);
        errno = saved;
        return -1;
    }
    for (; p->nthreads < workers; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0) {
            int saved = errno;
            httpd_pool_stop(p);
            errno = saved;
            return -1;
        }
    return 0;
}

void httpd_pool_submit(struct httpd_pool *p, struct httpd_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail)
        p->todo_tail->next = job;
    else
        p->todo = job;
    p->todo_tail = job;
    pthread_cond_signal(&p->queued);
    pthread_mutex_unlock(&p->mu);
}

struct httpd_job *httpd_pool_take_done(struct httpd_pool *p)
{
    char drain[64];
    while (read(p->wake[0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock(&p->mu);
    struct httpd_job *newest_first = p->done, *oldest_first = NULL;
    p->done = NULL;
    pthread_mutex_unlock(&p->mu);
    while (newest_first) {
        struct httpd_job *next = newest_first->next;
        newest_first->next = oldest_first;
        oldest_first = newest_first;
        newest_first = next;
    }
    return oldest_first;
}

void httpd_pool_stop(struct httpd_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->queued);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    for (struct httpd_job *lists[2] = {p->todo, p->done}, **l = lists; l < lists + 2; l++)
        while (*l) {
            struct httpd_job *next = (*l)->next;
            httpd_job_free(*l);
            *l = next;
        }
    p->todo = p->todo_tail = p->done = NULL;
    free(p->threads);
    p->threads = NULL;
    p->nthreads = 0;
    for (int i = 0; i < 2; i++)
        if (p->wake[i] >= 0)
            close(p->wake[i]);
    pthread_cond_destroy(&p->queued);
    pthread_mutex_destroy(&p->mu);
}
