/* rest.c: see rest.h. */
#include "rest.h"

#include "../watcher/httpc.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define REST_TIMEOUT_S 30
#define WAIT_BASE_MS 500
#define WAIT_MAX_MS 10000

int rest_open(struct rest *r, const struct setup_conf *c)
{
    memset(r, 0, sizeof *r);
    struct httpc_opts o = {.timeout_s = REST_TIMEOUT_S, .ca = c->ca, .insecure = c->insecure,
                           .user = c->user, .password = c->password};
    r->h = httpc_new(&o);
    if (!r->h)
        return -1;
    curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->curl_err);
    r->base = c->url;
    r->wait_s = c->wait_s;
    r->deadline_ms = clock_mono_ms() + (uint64_t)c->wait_s * 1000;
    return 0;
}

void rest_close(struct rest *r)
{
    curl_easy_cleanup(r->h);
    strbuf_free(&r->body);
    r->h = NULL;
}

void rest_form_add(struct rest *r, struct strbuf *form, const char *key, const char *value)
{
    char *k = curl_easy_escape(r->h, key, 0), *v = curl_easy_escape(r->h, value, 0);
    if (!k || !v)
        die(111, "out of memory");
    strbuf_addf(form, "%s%s=%s", form->len ? "&" : "", k, v);
    curl_free(k);
    curl_free(v);
}

char *rest_escape(struct rest *r, const char *s)
{
    char *e = curl_easy_escape(r->h, s, 0);
    if (!e)
        die(111, "out of memory");
    char *copy = xstrdup(e);
    curl_free(e);
    return copy;
}

/* Errors that a Splunk still starting (or a service name not yet in the
 * swarm's DNS) gives; a certificate that does not verify is none of them. */
static int not_there_yet(CURLcode rc)
{
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
           rc == CURLE_SSL_CONNECT_ERROR;
}

/* One request: the HTTP status, 0 when Splunk is not there (yet), -1 for
 * any other network error (r->err says which). */
static long attempt(struct rest *r, const char *method, const char *url, const char *form)
{
    char e[256];
    r->curl_err[0] = '\0';
    httpc_prepare(r->h, url, NULL, form, form ? strlen(form) : 0, &r->body);
    curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, strcmp(method, "DELETE") ? NULL : "DELETE");
    CURLcode rc = curl_easy_perform(r->h);
    long status = httpc_status(r->h, rc, e, sizeof e);
    if (status == 503)
        snprintf(r->err, sizeof r->err, "%s: HTTP 503 (Splunk is starting)", r->base);
    if (status && status != 503)
        return status;
    if (!status)
        snprintf(r->err, sizeof r->err, "%s: %s", r->base, r->curl_err[0] ? r->curl_err : e);
    return status == 503 || not_there_yet(rc) ? 0 : -1;
}

/* Wait before the next attempt: 0, or -1 when the deadline has passed. */
static int wait_for_splunk(struct rest *r)
{
    uint64_t now = clock_mono_ms();
    if (now >= r->deadline_ms && r->failures) {
        size_t n = strlen(r->err);
        snprintf(r->err + n, sizeof r->err - n, " (still so after SPLUNK_WAIT_S=%u s)", r->wait_s);
    }
    if (now >= r->deadline_ms)
        return -1;
    uint64_t delay = backoff_jitter_ms(backoff_delay_ms(WAIT_BASE_MS, WAIT_MAX_MS, r->failures++));
    if (delay > r->deadline_ms - now)
        delay = r->deadline_ms - now;
    log_msg(LOG_WARN, NULL, "attempt %u: %s; trying again in %llu ms", r->failures, r->err,
            (unsigned long long)delay);
    struct timespec ts = {(time_t)(delay / 1000), (long)(delay % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}

/* Splunk's "messages" texts of an error answer, escaped for a log line. */
static void messages(const struct json *j, char *out, size_t cap)
{
    const struct json *list = json_get(j, "messages");
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; list && i < list->n && n < cap; i++) {
        char escaped[LOG_ESCAPED_SIZE(200)];
        const char *text = json_text(json_get(json_at(list, i), "text"));
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "; " : "", log_escape(escaped, sizeof escaped, text));
    }
    if (!out[0])
        snprintf(out, cap, "%s", j ? "(no message)" : "(no JSON answer)");
}

/* The answer of status judged: 0 (with *answer), or the exit code. */
static int judge(struct rest *r, const char *method, const char *path, long status, struct json **answer)
{
    if (status == 401) {
        snprintf(r->err, sizeof r->err, "%s: Splunk refused the password of SPLUNK_PASSWORD_FILE (HTTP 401)",
                 r->base);
        return 100;
    }
    struct json *j = r->body.len ? json_parse(r->body.data, r->body.len) : NULL;
    int expected = (status >= 200 && status < 300) || status == 404 || status == 409;
    if (expected && (j || !r->body.len)) {
        *answer = j;
        return 0;
    }
    char text[600];
    messages(j, text, sizeof text);
    snprintf(r->err, sizeof r->err, "%s %s: HTTP %ld: %s", method, path, status, text);
    json_free(j);
    return 1;
}

int rest_call(struct rest *r, const char *method, const char *path, const char *form, long *status,
              struct json **answer)
{
    struct strbuf url = {0};
    size_t base_len = strlen(r->base);
    while (base_len && r->base[base_len - 1] == '/')
        base_len--;
    strbuf_addf(&url, "%.*s%s?output_mode=json", (int)base_len, r->base, path);
    *answer = NULL;
    long s;
    while ((s = attempt(r, method, url.data, form)) == 0 && wait_for_splunk(r) == 0)
        ;
    strbuf_free(&url);
    if (s <= 0)
        return 1;
    r->failures = 0;
    *status = s;
    return judge(r, method, path, s, answer);
}
