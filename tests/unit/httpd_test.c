/* httpd_test.c: lib/httpd serves a health probe whatever other clients do:
 * idle connections, requests that trickle in, oversized requests; with
 * httpd_start_requests, a POST's body reaches the handler, bounded; with
 * httpd_start_offload, a handler that waits does not hold up the others. */
#include "httpd.h"

#include "clock.h"

#include <netinet/in.h>
#include <pthread.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static int page(const char *path, struct strbuf *body, const char **type, void *ud)
{
    (void)type;
    (void)ud;
    if (strcmp(path, "/health") != 0)
        return 404;
    strbuf_adds(body, "ok\n");
    return 200;
}

/* Echoes what the handler was given. */
static int echo(const struct httpd_request *req, struct strbuf *body, const char **type, void *ud)
{
    (void)type;
    (void)ud;
    strbuf_addf(body, "%s %s [%s] %zu:%s\n", req->method, req->path, req->content_type, req->body_len, req->body);
    return 200;
}

static unsigned port_of(struct httpd *h)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static int connect_to(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Everything the server sends until it closes, waiting at most ms. */
static void read_reply(int fd, char *buf, size_t cap, int ms)
{
    size_t len = 0;
    uint64_t deadline = clock_mono_ms() + (uint64_t)ms;
    while (len < cap - 1 && clock_mono_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
}

static void send_text(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void start(struct httpd *h)
{
    assert_int_equal(httpd_start(h, 0, page, NULL), 0);
}

static void test_health_answered_beside_idle_connections(void **state)
{
    (void)state;
    struct httpd h;
    start(&h);
    unsigned port = port_of(&h);
    int idle[40];
    for (int i = 0; i < 40; i++)
        idle[i] = connect_to(port);
    int fd = connect_to(port);
    send_text(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    char reply[1024];
    /* Within a health probe's 3 s timeout (the old server waited 2 s for
     * each idle client in turn, so the probe failed). */
    read_reply(fd, reply, sizeof reply, 2500);
    assert_non_null(strstr(reply, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(reply, "\r\n\r\nok\n"));
    close(fd);
    for (int i = 0; i < 40; i++)
        close(idle[i]);
    httpd_stop(&h);
}

static void test_request_in_two_segments(void **state)
{
    (void)state;
    struct httpd h;
    start(&h);
    int fd = connect_to(port_of(&h));
    send_text(fd, "GET /hea");
    usleep(200000);
    send_text(fd, "lth HTTP/1.1\r\n\r\n");
    char reply[1024];
    read_reply(fd, reply, sizeof reply, 2000);
    assert_non_null(strstr(reply, "HTTP/1.1 200 OK"));
    close(fd);
    httpd_stop(&h);
}

static void test_statuses(void **state)
{
    (void)state;
    struct httpd h;
    start(&h);
    unsigned port = port_of(&h);
    char reply[1024], big[6000];
    int fd = connect_to(port);
    send_text(fd, "GET /nothing HTTP/1.1\r\n\r\n");
    read_reply(fd, reply, sizeof reply, 2000);
    assert_non_null(strstr(reply, "HTTP/1.1 404 Not Found"));
    close(fd);
    fd = connect_to(port);
    send_text(fd, "POST /health HTTP/1.1\r\n\r\n");
    read_reply(fd, reply, sizeof reply, 2000);
    assert_non_null(strstr(reply, "HTTP/1.1 405 "));
    close(fd);
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "GET /", 5);
    fd = connect_to(port);
    send_text(fd, big);
    read_reply(fd, reply, sizeof reply, 2000);
    assert_non_null(strstr(reply, "HTTP/1.1 431 "));
    close(fd);
    httpd_stop(&h);
}

/* One request to a server started with httpd_start_requests: its reply. */
static void exchange(unsigned port, const char *request, char *reply, size_t cap)
{
    int fd = connect_to(port);
    send_text(fd, request);
    read_reply(fd, reply, cap, 2000);
    close(fd);
}

static void test_post_body_reaches_the_handler(void **state)
{
    (void)state;
    struct httpd h;
    assert_int_equal(httpd_start_requests(&h, 0, echo, NULL), 0);
    unsigned port = port_of(&h);
    char reply[1024];
    int fd = connect_to(port);
    send_text(fd, "POST /api/x?a=1 HTTP/1.1\r\ncontent-type: application/json\r\nContent-Length:  10 \r\n\r\n{\"a\"");
    usleep(200000); /* the rest of the body later */
    send_text(fd, ": \"b\"}");
    read_reply(fd, reply, sizeof reply, 2000);
    close(fd);
    assert_non_null(strstr(reply, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(reply, "\r\n\r\nPOST /api/x?a=1 [application/json] 10:{\"a\": \"b\"}\n"));
    exchange(port, "GET /health HTTP/1.1\r\n\r\n", reply, sizeof reply);
    assert_non_null(strstr(reply, "\r\n\r\nGET /health [] 0:\n"));
    exchange(port, "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", reply, sizeof reply);
    assert_non_null(strstr(reply, "\r\n\r\nPOST /x [] 0:\n"));
    httpd_stop(&h);
}

static void test_post_refused_without_a_bounded_length(void **state)
{
    (void)state;
    static const struct { const char *request, *status; } cases[] = {
        {"POST /x HTTP/1.1\r\n\r\nabc", "HTTP/1.1 411 "},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "HTTP/1.1 411 "},
        {"POST /x HTTP/1.1\r\nContent-Length: 8193\r\n\r\n", "HTTP/1.1 413 "},
        {"POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", "HTTP/1.1 413 "},
        {"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400 "},
        {"POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", "HTTP/1.1 400 "},
        {"PUT /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", "HTTP/1.1 405 "},
    };
    struct httpd h;
    assert_int_equal(httpd_start_requests(&h, 0, echo, NULL), 0);
    char reply[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exchange(port_of(&h), cases[i].request, reply, sizeof reply);
        assert_non_null(strstr(reply, cases[i].status));
        assert_null(strstr(reply, "[]")); /* the handler was not called */
    }
    httpd_stop(&h);
}

/* /slow waits until the test opens the gate (as a find waits on a PACS);
 * anything else is echoed at once. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, slow_running;

static int gated(const struct httpd_request *req, struct strbuf *body, const char **type, void *ud)
{
    if (strcmp(req->path, "/slow") != 0)
        return echo(req, body, type, ud);
    pthread_mutex_lock(&gate_mu);
    slow_running++;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    strbuf_adds(body, "slow done\n");
    return 200;
}

static int is_slow(const struct httpd_request *req, void *ud)
{
    (void)ud;
    return !strcmp(req->path, "/slow");
}

static void test_a_waiting_handler_does_not_hold_up_the_others(void **state)
{
    (void)state;
    struct httpd h;
    assert_int_equal(httpd_start_offload(&h, 0, gated, is_slow, 2, NULL), 0);
    unsigned port = port_of(&h);
    int slow[3];
    for (int i = 0; i < 3; i++) { /* two workers busy, one request queued */
        slow[i] = connect_to(port);
        send_text(slow[i], "GET /slow HTTP/1.1\r\n\r\n");
    }
    pthread_mutex_lock(&gate_mu);
    while (slow_running < 2)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    char reply[1024];
    uint64_t t0 = clock_mono_ms();
    exchange(port, "GET /health HTTP/1.1\r\n\r\n", reply, sizeof reply);
    assert_non_null(strstr(reply, "\r\n\r\nGET /health [] 0:\n"));
    assert_true(clock_mono_ms() - t0 < 1000);
    /* past the 5 s exchange deadline: a request a worker holds is not cut */
    usleep(5500 * 1000);
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    for (int i = 0; i < 3; i++) {
        read_reply(slow[i], reply, sizeof reply, 3000);
        close(slow[i]);
        assert_non_null(strstr(reply, "HTTP/1.1 200 OK"));
        assert_non_null(strstr(reply, "\r\n\r\nslow done\n"));
    }
    httpd_stop(&h);
}

/* A client that leaves while a worker answers it: the answer is dropped,
 * the slot serves the next client, and stopping waits for the worker. */
static void test_a_client_gone_before_its_answer(void **state)
{
    (void)state;
    gate_open = 0, slow_running = 0;
    struct httpd h;
    assert_int_equal(httpd_start_offload(&h, 0, gated, is_slow, 1, NULL), 0);
    unsigned port = port_of(&h);
    int fd = connect_to(port);
    send_text(fd, "GET /slow HTTP/1.1\r\n\r\n");
    pthread_mutex_lock(&gate_mu);
    while (slow_running < 1)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    close(fd);
    char reply[1024];
    exchange(port, "GET /x HTTP/1.1\r\n\r\n", reply, sizeof reply);
    assert_non_null(strstr(reply, "\r\n\r\nGET /x [] 0:\n"));
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    httpd_stop(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_answered_beside_idle_connections),
        cmocka_unit_test(test_request_in_two_segments),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_post_body_reaches_the_handler),
        cmocka_unit_test(test_post_refused_without_a_bounded_length),
        cmocka_unit_test(test_a_waiting_handler_does_not_hold_up_the_others),
        cmocka_unit_test(test_a_client_gone_before_its_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
