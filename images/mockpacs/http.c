/* http.c: a tiny status endpoint for cirr-init's probe and for people:
 * GET /health answers 200 "ok"; GET /status answers the counters as JSON. */
#include "log.h"
#include "mock.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern atomic_int mock_stopping;

struct http {
    struct mock *m;
    int fd;
};

static void reply(int fd, const char *status, const char *type, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, type, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
        return;
}

static void serve(struct mock *m, int fd)
{
    char req[1024];
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n = poll(&p, 1, 2000) > 0 ? read(fd, req, sizeof req - 1) : -1;
    if (n <= 0)
        return;
    req[n] = '\0';
    if (strncmp(req, "GET /health ", 12) == 0) {
        reply(fd, "200 OK", "text/plain", "ok\n");
    } else if (strncmp(req, "GET /status ", 12) == 0 || strncmp(req, "GET / ", 6) == 0) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"aet\": \"%s\", \"port\": %u, \"studies\": %u, \"stored\": %zu, \"associations\": %lu, "
                 "\"finds\": %lu, \"instances_retrieved\": %lu, \"studies_pushed\": %lu, \"last_activity\": %lld}\n",
                 m->site.aet, m->site.port, m->catalog.nstudies, m->store.n, (unsigned long)m->associations,
                 (unsigned long)m->finds, (unsigned long)m->retrieved, (unsigned long)m->pushed,
                 (long long)m->last_activity);
        reply(fd, "200 OK", "application/json", body);
    } else {
        reply(fd, "404 Not Found", "text/plain", "not found\n");
    }
}

static void *http_thread(void *arg)
{
    struct http *h = arg;
    while (!mock_stopping) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 500) <= 0)
            continue;
        int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve(h->m, c);
        close(c);
    }
    close(h->fd);
    return NULL;
}

int http_start(struct mock *m, unsigned port)
{
    static struct http h;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    h = (struct http){m, fd};
    if (pthread_create(&m->http_thread, NULL, http_thread, &h) != 0)
        return -1;
    m->has_http = 1;
    return 0;
}
