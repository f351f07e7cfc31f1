/* docker_engine.c: one HTTP/1.0 request over the engine's unix socket.
 * HTTP/1.0 on purpose: the engine then answers with the whole body and
 * closes, never chunked, so reading to the end is the whole protocol. */
#include "docker_engine.h"

#include "envconf.h"
#include "fdio.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_engine(const char *path, char *err, size_t cap)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return envconf_fail(err, cap, "Docker socket path %s is too long", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {DOCKER_TIMEOUT_S, 0};
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
        connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
        return fd;
    int e = errno;
    if (fd >= 0)
        close(fd);
    return envconf_fail(err, cap, "cannot reach the Docker engine at %s: %s", path, strerror(e));
}

/* Read to the end (at most DOCKER_ANSWER_MAX bytes) into a malloc'd buffer. */
static char *read_answer(int fd, size_t *len, char *err, size_t cap)
{
    size_t n = 0, room = 65536;
    char *buf = malloc(room + 1);
    for (;;) {
        if (buf && n == room && room < DOCKER_ANSWER_MAX) {
            char *bigger = realloc(buf, room * 2 + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
            room *= 2;
        }
        if (!buf)
            return envconf_fail(err, cap, "out of memory"), NULL;
        if (n == room)
            return free(buf), envconf_fail(err, cap, "the Docker engine's answer is too long"), NULL;
        ssize_t got = read(fd, buf + n, room - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return free(buf), envconf_fail(err, cap, "reading the Docker engine's answer: %s",
                                           errno == EAGAIN ? "timed out" : strerror(errno)), NULL;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The status code and the body of an HTTP/1.x answer. */
static int parse_answer(char *buf, size_t len, int *status, const char **body, size_t *blen)
{
    char *end = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || len < 12 || buf[8] != ' ' || !end)
        return -1;
    char *p = buf + 9;
    if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    *status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    *end = '\0';
    for (char *h = buf; (h = strstr(h, "\r\n")); h += 2)
        if (strncasecmp(h + 2, "transfer-encoding:", 18) == 0)
            return -1; /* HTTP/1.0 answers are never chunked */
    *body = end + 4;
    *blen = len - (size_t)(end + 4 - buf);
    return 0;
}

static int answer_id(const char *body, size_t blen, char *id, size_t idcap, char *err, size_t cap)
{
    struct json v;
    char why[200];
    if (json_parse(body, blen, &v, why, sizeof why) < 0)
        return envconf_fail(err, cap, "the Docker engine's answer is not JSON: %s", why);
    const char *got = json_get_string(&v, "Id");
    int rc = got && strlen(got) < idcap ? 0 : envconf_fail(err, cap, "the Docker engine's answer has no Id");
    if (rc == 0)
        strcpy(id, got);
    json_free(&v);
    return rc;
}

int docker_image_id(const char *socket_path, const char *name, char *id, size_t idcap, char *err,
                    size_t errcap)
{
    int fd = connect_engine(socket_path, err, errcap);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req, "GET /images/%s/json HTTP/1.0\r\nHost: docker\r\n\r\n", name);
    size_t len;
    char *buf = NULL;
    if (n < 0 || (size_t)n >= sizeof req || fd_write_all(fd, req, (size_t)n) < 0)
        envconf_fail(err, errcap, "cannot send to the Docker engine: %s", strerror(errno));
    else
        buf = read_answer(fd, &len, err, errcap);
    close(fd);
    if (!buf)
        return -1;
    int status, rc;
    const char *body;
    size_t blen;
    if (parse_answer(buf, len, &status, &body, &blen) < 0)
        rc = envconf_fail(err, errcap, "the Docker engine's answer is not HTTP/1.x");
    else if (status == 404)
        rc = 1;
    else if (status != 200)
        rc = envconf_fail(err, errcap, "the Docker engine answered HTTP %d", status);
    else
        rc = answer_id(body, blen, id, idcap, err, errcap);
    free(buf);
    return rc;
}
