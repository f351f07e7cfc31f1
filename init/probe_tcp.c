/* probe_tcp.c: the tcp probe: healthy when HOST:PORT accepts a connection. */
#include "probe.h"

#include "log.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Split "host:port" or "[v6]:port" into its parts. */
static int split_address(const char *addr, char *host, size_t cap, const char **port)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1])
        return -1;
    const char *h = addr;
    size_t n = (size_t)(colon - addr);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n == 0 || n >= cap)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

int probe_tcp(const struct probe *p, char *reason, size_t cap)
{
    char host[256];
    const char *port;
    if (split_address(p->target, host, sizeof host, &port) < 0) {
        log_format(reason, cap, "invalid address '%s' (expected HOST:PORT)", p->target);
        return 1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        log_format(reason, cap, "cannot resolve %s: %s", host, gai_strerror(gai));
        return 1;
    }
    int err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* Blocking connect: the supervisor kills this process at the timeout. */
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        err = errno;
        close(fd);
        if (rc == 0) {
            freeaddrinfo(res);
            return 0;
        }
    }
    freeaddrinfo(res);
    log_format(reason, cap, "cannot connect to %s: %s", p->target, strerror(err));
    return 1;
}
