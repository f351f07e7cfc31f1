/* relay.c: line-by-line output relays with a service-name prefix (see
 * relay.h). */
#include "relay.h"

#include "log.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct relay *relay_new(int fd, int out, const char *name)
{
    struct relay *r = xmalloc(sizeof *r);
    r->fd = fd;
    r->out = out;
    r->len = 0;
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

static void emit(struct relay *r, const char *line, size_t n)
{
    char out[RELAY_LINE_MAX + 160];
    size_t m = 0;
    if (log_timestamps)
        m = log_format_time(out, sizeof out);
    int k = snprintf(out + m, sizeof out - m, "%s: ", r->name);
    m += k > 0 ? (size_t)k : 0;
    if (n > sizeof out - m - 1)
        n = sizeof out - m - 1;
    memcpy(out + m, line, n);
    m += n;
    out[m++] = '\n';
    const char *p = out;
    while (m > 0) {
        ssize_t w = write(r->out, p, m);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to write: drop the line rather than block */
        p += w;
        m -= (size_t)w;
    }
}

static void emit_lines(struct relay *r)
{
    size_t start = 0;
    for (size_t i = 0; i < r->len; i++)
        if (r->buf[i] == '\n') {
            emit(r, r->buf + start, i - start);
            start = i + 1;
        }
    memmove(r->buf, r->buf + start, r->len - start);
    r->len -= start;
    if (r->len == sizeof r->buf) { /* a line longer than the buffer */
        emit(r, r->buf, r->len);
        r->len = 0;
    }
}

int relay_read(struct relay *r)
{
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
        if (n > 0) {
            r->len += (size_t)n;
            emit_lines(r);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        break; /* EOF or a read error: the pipe is done */
    }
    if (r->len) {
        emit(r, r->buf, r->len);
        r->len = 0;
    }
    close(r->fd);
    r->fd = -1;
    return -1;
}

void relay_free(struct relay *r)
{
    if (!r)
        return;
    if (r->fd >= 0) {
        if (r->len)
            emit(r, r->buf, r->len);
        close(r->fd);
    }
    free(r);
}

void relay_set_add(struct relay_set *set, int fd, int out, const char *name)
{
    if (fd < 0)
        return;
    set->items = xrealloc(set->items, (set->n + 1) * sizeof *set->items);
    set->items[set->n++] = relay_new(fd, out, name);
}

unsigned relay_set_pollfds(const struct relay_set *set, struct pollfd *fds)
{
    for (unsigned i = 0; i < set->n; i++)
        fds[i] = (struct pollfd){.fd = set->items[i]->fd, .events = POLLIN};
    return set->n;
}

void relay_set_read(struct relay_set *set, const struct pollfd *fds)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < set->n; i++) {
        struct relay *r = set->items[i];
        if (fds[i].revents && relay_read(r) < 0)
            relay_free(r);
        else
            set->items[kept++] = r;
    }
    set->n = kept;
}

void relay_set_drain(struct relay_set *set)
{
    for (unsigned i = 0; i < set->n; i++) {
        relay_read(set->items[i]);
        relay_free(set->items[i]);
    }
    free(set->items);
    set->items = NULL;
    set->n = 0;
}
