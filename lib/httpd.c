/* httpd.c: see httpd.h.
 *
 * One thread, one poll loop, up to HTTPD_MAX_CONNS connections at once, all
 * non-blocking: a client that connects and says nothing, or sends its
 * request a byte at a time, holds one slot until its deadline and never
 * delays another client (a health probe must be answered within its own
 * timeout whatever else is connected). When every slot is taken, the
 * oldest connection is closed to make room for the new one. */
#include "httpd.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    struct strbuf out;           /* the response, once the request is complete */
    size_t out_pos;
};

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    strbuf_free(&c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* The request is complete (or cannot be): build the whole response. */
static void respond(struct httpd *h, struct conn *c, int too_large)
{
    char path[512];
    struct strbuf body = {0};
    const char *type = "text/plain; charset=utf-8";
    int status;
    c->in[c->in_len] = '\0';
    if (too_large) {
        status = 431;
        strbuf_adds(&body, "request too large\n");
    } else if (strncmp(c->in, "GET ", 4) != 0) {
        status = 405;
        strbuf_adds(&body, "only GET\n");
    } else if (sscanf(c->in, "GET %511s HTTP/", path) != 1) {
        status = 400;
        strbuf_adds(&body, "bad request line\n");
    } else {
        status = h->handler(path, &body, &type, h->ud);
    }
    strbuf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                status, reason(status), type, body.len);
    strbuf_add(&c->out, body.data ? body.data : "", body.len);
    strbuf_free(&body);
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

/* Read what has arrived; respond once the headers are complete. */
static void conn_read(struct httpd *h, struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0)
        return;
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
        respond(h, c, 0);
    else if (c->in_len == sizeof c->in - 1)
        respond(h, c, 1);
    if (c->out.len)
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
        if (!slot || conns[i].opened_ms < slot->opened_ms)
            slot = &conns[i];
    }
    if (slot->fd >= 0)
        conn_close(slot);
    slot->fd = fd;
    slot->opened_ms = clock_mono_ms();
    slot->deadline_ms = slot->opened_ms + HTTPD_DEADLINE_MS;
}

static void *loop(void *arg)
{
    struct httpd *h = arg;
    struct conn conns[HTTPD_MAX_CONNS];
    struct pollfd p[HTTPD_MAX_CONNS + 1];
    memset(conns, 0, sizeof conns);
    for (int i = 0; i < HTTPD_MAX_CONNS; i++)
        conns[i].fd = -1;
    while (!h->stop) {
        p[0] = (struct pollfd){h->fd, POLLIN, 0};
        for (int i = 0; i < HTTPD_MAX_CONNS; i++)
            p[i + 1] = (struct pollfd){conns[i].fd, conns[i].out.len ? POLLOUT : POLLIN, 0};
        if (poll(p, HTTPD_MAX_CONNS + 1, 300) < 0 && errno != EINTR)
            break;
        uint64_t now = clock_mono_ms();
        for (int i = 0; i < HTTPD_MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            if (c->fd < 0)
                continue;
            short ev = p[i + 1].revents;
            if (!c->out.len && ev & (POLLIN | POLLHUP | POLLERR))
                conn_read(h, c);
            else if (c->out.len && ev & (POLLOUT | POLLHUP | POLLERR))
                conn_write(c);
            if (c->fd >= 0 && now >= c->deadline_ms)
                conn_close(c);
        }
        if (p[0].revents & POLLIN)
            conn_accept(h, conns);
    }
    for (int i = 0; i < HTTPD_MAX_CONNS; i++)
        conn_close(&conns[i]);
    return NULL;
}

int httpd_start(struct httpd *h, unsigned port, httpd_handler handler, void *ud)
{
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    memset(h, 0, sizeof *h);
    h->handler = handler;
    h->ud = ud;
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(h->fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(h->fd, 64) < 0 ||
        pthread_create(&h->thread, NULL, loop, h) != 0) {
        int saved = errno;
        if (h->fd >= 0)
            close(h->fd);
        errno = saved;
        return -1;
    }
    return 0;
}

void httpd_stop(struct httpd *h)
{
    h->stop = 1;
    pthread_join(h->thread, NULL);
    close(h->fd);
}
