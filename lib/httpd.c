/* httpd.c: see httpd.h.
 *
 * One thread, one poll loop, up to HTTPD_MAX_CONNS connections at once, all
 * non-blocking: a client that connects and says nothing, or sends its
 * request a byte at a time, holds one slot until its deadline and never
 * delays another client (a health probe must be answered within its own
 * timeout whatever else is connected). When every slot is taken, the
 * oldest connection is closed to make room for the new one. A request
 * whose handler may wait (httpd_start_offload) is answered by a worker
 * (httpd_pool.c) while its connection waits here, outside the deadline. */
#include "httpd.h"

#include "clock.h"
#include "httpd_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTPD_MAX_CONNS 32
#define HTTPD_REQUEST_MAX 4096   /* request line and headers */
#define HTTPD_DEADLINE_MS 5000   /* for the whole exchange, however it trickles */

struct conn {
    int fd;                      /* -1: slot free */
    uint64_t deadline_ms, opened_ms;
    char in[HTTPD_REQUEST_MAX];
    size_t in_len;
    char *post;                  /* a POST's body, once its headers are in */
    size_t post_len, post_want;
    struct strbuf out;           /* the response, once the request is complete */
    size_t out_pos;
    int busy;                    /* a worker is answering its request */
    int slot;                    /* its index in the loop's table */
    unsigned generation;         /* counts the slot's connections: a late answer is for the one it names */
};

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->post);
    strbuf_free(&c->out);
    unsigned generation = c->generation + 1;
    int slot = c->slot;
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->slot = slot;
    c->generation = generation;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static void reply(struct conn *c, int status, const char *type, const struct strbuf *body)
{
    strbuf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                status, reason(status), type, body->len);
    strbuf_add(&c->out, body->data ? body->data : "", body->len);
}

static void refuse(struct conn *c, int status, const char *why)
{
    struct strbuf body = {0};
    strbuf_adds(&body, why);
    reply(c, status, "text/plain; charset=utf-8", &body);
    strbuf_free(&body);
}

/* The value of header name (lower case) in the complete head, copied into
 * out; 0, or -1 when the head has no such header. */
static int header(const char *head, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *line = strchr(head, '\n'); line && line[1] != '\r' && line[1] != '\n';
         line = strchr(line + 1, '\n')) {
        if (strncasecmp(line + 1, name, n) || line[1 + n] != ':')
            continue;
        const char *v = line + 2 + n;
        v += strspn(v, " \t");
        size_t len = strcspn(v, "\r\n");
        while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
            len--;
        snprintf(out, cap, "%.*s", (int)len, v);
        return 0;
    }
    return -1;
}

/* Hand the request to a worker; its answer comes back through the loop. */
static void offload(struct httpd *h, struct conn *c, const struct httpd_request *req)
{
    struct httpd_job *job = xmalloc(sizeof *job);
    *job = (struct httpd_job){.slot = c->slot, .generation = c->generation, .body_len = req->body_len};
    snprintf(job->method, sizeof job->method, "%s", req->method);
    snprintf(job->path, sizeof job->path, "%s", req->path);
    snprintf(job->content_type, sizeof job->content_type, "%s", req->content_type);
    job->body = xmalloc(req->body_len + 1);
    memcpy(job->body, req->body, req->body_len);
    job->body[req->body_len] = '\0';
    c->busy = 1;
    httpd_pool_submit(h->pool, job);
}

/* The request (and a POST's body) is complete: build the whole response. */
static void respond(struct httpd *h, struct conn *c)
{
    char path[512], type_in[128] = "";
    struct strbuf body = {0};
    const char *type = "text/plain; charset=utf-8";
    int post = c->post != NULL, status;
    if (!post && strncmp(c->in, "GET ", 4) != 0) {
        refuse(c, 405, h->request_handler ? "only GET and POST\n" : "only GET\n");
        return;
    }
    if (sscanf(c->in + (post ? 5 : 4), "%511s HTTP/", path) != 1) {
        refuse(c, 400, "bad request line\n");
        return;
    }
    if (h->request_handler) {
        header(c->in, "content-type", type_in, sizeof type_in);
        struct httpd_request req = {post ? "POST" : "GET", path, type_in, post ? c->post : "", c->post_len};
        if (h->pool && h->slow(&req, h->ud)) {
            offload(h, c, &req);
            return;
        }
        status = h->request_handler(&req, &body, &type, h->ud);
    } else {
        status = h->handler(path, &body, &type, h->ud);
    }
    reply(c, status, type, &body);
    strbuf_free(&body);
}

/* A POST's headers are in (head bytes of c->in): take its body's length,
 * and what of the body came with the headers. */
static void post_begin(struct httpd *h, struct conn *c, size_t head)
{
    char value[32], *end;
    if (header(c->in, "transfer-encoding", value, sizeof value) == 0) {
        refuse(c, 411, "send the body with a Content-Length, not chunked\n");
        return;
    }
    if (header(c->in, "content-length", value, sizeof value) < 0) {
        refuse(c, 411, "a POST needs a Content-Length\n");
        return;
    }
    unsigned long n = strtoul(value, &end, 10);
    if (!*value || strspn(value, "0123456789") != strlen(value) || *end) {
        refuse(c, 400, "bad Content-Length\n");
        return;
    }
    if (strlen(value) > 9 || n > HTTPD_BODY_MAX) {
        refuse(c, 413, "body too large\n");
        return;
    }
    c->post_want = n;
    c->post = xmalloc(n + 1);
    c->post_len = c->in_len - head < n ? c->in_len - head : n;
    memcpy(c->post, c->in + head, c->post_len);
    c->post[c->post_len] = '\0';
    if (c->post_len == c->post_want)
        respond(h, c);
}

/* Where the head ends (after its blank line), or 0 while it is incomplete. */
static size_t head_end(const char *in)
{
    const char *crlf = strstr(in, "\r\n\r\n"), *lf = strstr(in, "\n\n");
    if (crlf && (!lf || crlf < lf))
        return (size_t)(crlf - in) + 4;
    return lf ? (size_t)(lf - in) + 2 : 0;
}

static void conn_write(struct conn *c)
{
    ssize_t n = send(c->fd, c->out.data + c->out_pos, c->out.len - c->out_pos, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->out_pos += (size_t)n;
    if (c->out_pos == c->out.len)
        conn_close(c);
}

/* Read what has arrived (the head, or then a POST's body); respond once
 * the request is complete. */
static void conn_read(struct httpd *h, struct conn *c)
{
    char *into = c->post ? c->post + c->post_len : c->in + c->in_len;
    size_t room = c->post ? c->post_want - c->post_len : sizeof c->in - 1 - c->in_len;
    ssize_t n = read(c->fd, into, room);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    into[n] = '\0';
    if (c->post) {
        c->post_len += (size_t)n;
        if (c->post_len == c->post_want)
            respond(h, c);
    } else {
        c->in_len += (size_t)n;
        size_t head = head_end(c->in);
        if (head && h->request_handler && !strncmp(c->in, "POST ", 5))
            post_begin(h, c, head);
        else if (head)
            respond(h, c);
        else if (c->in_len == sizeof c->in - 1)
            refuse(c, 431, "request too large\n");
    }
    if (c->fd >= 0 && c->out.len)
        conn_write(c); /* most responses fit the socket buffer at once */
}

/* Accept one client into a free slot, or into the oldest one's. */
static void conn_accept(struct httpd *h, struct conn *conns)
{
    int fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    struct conn *slot = NULL;
    for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
        if (conns[i].fd < 0) {
            slot = &conns[i];
            break;
        }
        if (!conns[i].busy && (!slot || conns[i].opened_ms < slot->opened_ms))
            slot = &conns[i];
    }
    if (!slot) { /* every slot waits for a worker's answer */
        close(fd);
        return;
    }
    if (slot->fd >= 0)
        conn_close(slot);
    slot->fd = fd;
    slot->opened_ms = clock_mono_ms();
    slot->deadline_ms = slot->opened_ms + HTTPD_DEADLINE_MS;
}

/* The workers' answers: each to its connection, if it is still the one that asked. */
static void collect(struct httpd *h, struct conn *conns)
{
    for (struct httpd_job *job = httpd_pool_take_done(h->pool), *next; job; job = next) {
        next = job->next;
        struct conn *c = &conns[job->slot];
        if (c->fd >= 0 && c->busy && c->generation == job->generation) {
            c->busy = 0;
            c->deadline_ms = clock_mono_ms() + HTTPD_DEADLINE_MS; /* to send the answer */
            reply(c, job->status, job->type, &job->response);
            conn_write(c);
        }
        httpd_job_free(job);
    }
}

static void *loop(void *arg)
{
    struct httpd *h = arg;
    struct conn conns[HTTPD_MAX_CONNS];
    struct pollfd p[HTTPD_MAX_CONNS + 2];
    memset(conns, 0, sizeof conns);
    for (int i = 0; i < HTTPD_MAX_CONNS; i++)
        conns[i].fd = -1, conns[i].slot = i;
    int wake = h->pool ? h->pool->wake[0] : -1;
    while (!h->stop) {
        p[0] = (struct pollfd){h->fd, POLLIN, 0};
        p[1] = (struct pollfd){wake, POLLIN, 0};
        for (int i = 0; i < HTTPD_MAX_CONNS; i++)
            p[i + 2] = (struct pollfd){conns[i].busy ? -1 : conns[i].fd, conns[i].out.len ? POLLOUT : POLLIN, 0};
        if (poll(p, HTTPD_MAX_CONNS + 2, 300) < 0 && errno != EINTR)
            break;
        uint64_t now = clock_mono_ms();
        for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            if (c->fd < 0 || c->busy)
                continue;
            short ev = p[i + 2].revents;
            if (!c->out.len && ev & (POLLIN | POLLHUP | POLLERR))
                conn_read(h, c);
            else if (c->out.len && ev & (POLLOUT | POLLHUP | POLLERR))
                conn_write(c);
            if (c->fd >= 0 && !c->busy && now >= c->deadline_ms)
                conn_close(c);
        }
        if (p[1].revents & POLLIN)
            collect(h, conns);
        if (p[0].revents & POLLIN)
            conn_accept(h, conns);
    }
    for (int i = 0; i < HTTPD_MAX_CONNS; i++)
        conn_close(&conns[i]);
    return NULL;
}

static int start(struct httpd *h, unsigned port, httpd_handler handler, httpd_request_handler request_handler,
                 httpd_slow_fn slow, unsigned workers, void *ud)
{
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    memset(h, 0, sizeof *h);
    h->handler = handler;
    h->request_handler = request_handler;
    h->slow = slow;
    h->ud = ud;
    if (workers) {
        h->pool = xmalloc(sizeof *h->pool);
        if (httpd_pool_start(h->pool, workers, request_handler, ud) < 0) {
            int saved = errno;
            free(h->pool);
            h->pool = NULL;
            errno = saved;
            return -1;
        }
    }
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(h->fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(h->fd, 64) < 0 ||
        pthread_create(&h->thread, NULL, loop, h) != 0) {
        int saved = errno;
        if (h->fd >= 0)
            close(h->fd);
        if (h->pool) {
            httpd_pool_stop(h->pool);
            free(h->pool);
        }
        errno = saved;
        return -1;
    }
    return 0;
}

int httpd_start(struct httpd *h, unsigned port, httpd_handler handler, void *ud)
{
    return start(h, port, handler, NULL, NULL, 0, ud);
}

int httpd_start_requests(struct httpd *h, unsigned port, httpd_request_handler handler, void *ud)
{
    return start(h, port, NULL, handler, NULL, 0, ud);
}

int httpd_start_offload(struct httpd *h, unsigned port, httpd_request_handler handler, httpd_slow_fn slow,
                        unsigned workers, void *ud)
{
    return start(h, port, NULL, handler, slow, workers ? workers : 1, ud);
}

void httpd_stop(struct httpd *h)
{
    h->stop = 1;
    pthread_join(h->thread, NULL);
    close(h->fd);
    if (h->pool) {
        httpd_pool_stop(h->pool);
        free(h->pool);
        h->pool = NULL;
    }
}
