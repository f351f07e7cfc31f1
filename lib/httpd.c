/* httpd.c: see httpd.h. */
#include "httpd.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void serve(struct httpd *h, int fd)
{
    char req[2048], path[512];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n = poll(&p, 1, 2000) > 0 ? read(fd, req, sizeof req - 1) : -1;
    if (n <= 0)
        return;
    req[n] = '\0';
    struct strbuf body = {0};
    const char *type = "text/plain; charset=utf-8";
    int status;
    if (sscanf(req, "GET %511s HTTP/", path) != 1) {
        status = 405;
        strbuf_adds(&body, "only GET\n");
    } else {
        status = h->handler(path, &body, &type, h->ud);
    }
    char head[256];
    int m = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Error", type, body.len);
    write_all(fd, head, (size_t)m);
    write_all(fd, body.data ? body.data : "", body.len);
    strbuf_free(&body);
}

static void *loop(void *arg)
{
    struct httpd *h = arg;
    while (!h->stop) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 300) <= 0)
            continue;
        int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve(h, c);
        close(c);
    }
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
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(h->fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(h->fd, 16) < 0 ||
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
