/* hec.c: the Splunk HTTP Event Collector sink. One outbox batch is one
 * POST of concatenated event envelopes to /services/collector/event:
 *   {"time":T,"host":H,"source":"cirr-watcher:ROUTE","sourcetype":S,"index":I,"event":{...}}
 * 200 -> the batch is done (with indexer acknowledgement: once
 * /services/collector/ack says so for its ackId); 400, 401, 403 and 413 ->
 * a dead letter with Splunk's text and code; anything else (503, network)
 * -> retried. */
#include "sink.h"

#include "atomicfile.h"
#include "clock.h"
#include "event.h"
#include "httpc.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct hec {
    struct watcher *w;
    CURL *curl;
    struct curl_slist *headers;
    char host[256], event_url[512], ack_url[512];
    struct strbuf body, answer;
};

/* The channel (a GUID) this watcher uses, kept in STATE/hec-channel so that
 * it stays the same across restarts. */
static int channel(const char *state, char *buf, size_t cap)
{
    char path[600];
    snprintf(path, sizeof path, "%s/hec-channel", state);
    FILE *in = fopen(path, "re");
    if (in) {
        int ok = fgets(buf, (int)cap, in) && strlen(buf) >= 36;
        fclose(in);
        if (ok) {
            buf[36] = '\0';
            return 0;
        }
    }
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(buf, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    return atomicfile_write(path, buf, strlen(buf), 0640, (uid_t)-1, (gid_t)-1);
}

static int set_headers(struct hec *h)
{
    struct watch_conf *c = &h->w->conf;
    struct strbuf auth = {0};
    strbuf_addf(&auth, "Authorization: Splunk %s", c->hec_token);
    h->headers = curl_slist_append(NULL, auth.data);
    memset(auth.data, 0, auth.len); /* the token stays only in curl's copy */
    strbuf_free(&auth);
    h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
    if (c->hec_ack) {
        char ch[64], line[128];
        if (channel(c->state, ch, sizeof ch) < 0) {
            log_msg(LOG_ERROR, "hec", "cannot keep the HEC channel in %s: %s", c->state, strerror(errno));
            return -1;
        }
        snprintf(line, sizeof line, "X-Splunk-Request-Channel: %s", ch);
        h->headers = curl_slist_append(h->headers, line);
    }
    return h->headers ? 0 : -1;
}

void *hec_new(struct watcher *w)
{
    struct watch_conf *c = &w->conf;
    struct hec *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->w = w;
    struct httpc_opts o = {c->http_timeout_s, c->hec_ca, c->hec_insecure, NULL, NULL};
    h->curl = httpc_new(&o);
    if (*c->hec_host)
        snprintf(h->host, sizeof h->host, "%s", c->hec_host);
    else if (gethostname(h->host, sizeof h->host) < 0)
        strcpy(h->host, "cirr-watcher");
    const char *slash = c->hec_url[strlen(c->hec_url) - 1] == '/' ? "" : "/";
    snprintf(h->event_url, sizeof h->event_url, "%s%sservices/collector/event", c->hec_url, slash);
    snprintf(h->ack_url, sizeof h->ack_url, "%s%sservices/collector/ack", c->hec_url, slash);
    if (!h->curl || set_headers(h) < 0) {
        hec_ops.free(h);
        return NULL;
    }
    return h;
}

static void hec_free(void *ctx)
{
    struct hec *h = ctx;
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    strbuf_free(&h->body);
    strbuf_free(&h->answer);
    free(h);
}

/* One outbox line as a HEC envelope, appended to body. 0, or -1 when the
 * line is not an outbox line. */
static int envelope(struct hec *h, char *line)
{
    char *f[FIELD_COUNT];
    if (event_fields(line, f) < 0)
        return -1;
    strbuf_addf(&h->body, "{\"time\":%s,\"host\":\"", f[FIELD_TIME]);
    strbuf_add_json(&h->body, h->host);
    strbuf_adds(&h->body, "\",\"source\":\"cirr-watcher:");
    strbuf_add_json(&h->body, f[FIELD_ROUTE]);
    strbuf_adds(&h->body, "\",\"sourcetype\":\"");
    strbuf_add_json(&h->body, h->w->conf.hec_sourcetype);
    strbuf_adds(&h->body, "\",\"index\":\"");
    strbuf_add_json(&h->body, f[FIELD_INDEX]);
    strbuf_adds(&h->body, "\",\"event\":");
    strbuf_adds(&h->body, f[FIELD_JSON]);
    strbuf_adds(&h->body, "}\n");
    return 0;
}

/* Splunk's answer {"text":..,"code":..} as one line for a log or a .reason. */
static void describe(long status, const struct strbuf *answer, char *why, size_t cap)
{
    struct json *j = answer->len ? json_parse(answer->data, answer->len) : NULL;
    const char *text = json_text(json_get(j, "text")), *code = json_text(json_get(j, "code"));
    char esc[LOG_ESCAPED_SIZE(200)];
    if (text && code)
        snprintf(why, cap, "HTTP %ld, HEC code %s: %s", status, code, log_escape(esc, sizeof esc, text));
    else
        snprintf(why, cap, "HTTP %ld", status);
    json_free(j);
}

/* Poll /services/collector/ack for ack_id until it is true (SEND_OK) or
 * the timeout passes (SEND_RETRY: the batch is sent again). */
static enum send_result await_ack(struct hec *h, const char *ack_id, char *why, size_t cap)
{
    char body[64], err[256];
    uint64_t deadline = clock_mono_ms() + (uint64_t)h->w->conf.ack_timeout_s * 1000;
    unsigned wait = 20;
    snprintf(body, sizeof body, "{\"acks\":[%s]}", ack_id);
    while (clock_mono_ms() < deadline) {
        if (watcher_sleep(h->w, wait))
            break;
        wait = wait < 1000 ? wait * 2 : 1000;
        httpc_prepare(h->curl, h->ack_url, h->headers, body, strlen(body), &h->answer);
        long status = httpc_perform(h->curl, err, sizeof err);
        if (status != 200)
            continue;
        struct json *j = json_parse(h->answer.data, h->answer.len);
        const struct json *v = json_get(json_get(j, "acks"), ack_id);
        int acked = v && v->type == JSON_BOOL && !strcmp(v->text, "true");
        json_free(j);
        if (acked)
            return SEND_OK;
    }
    snprintf(why, cap, "ackId %s not acknowledged within %u s", ack_id, h->w->conf.ack_timeout_s);
    return SEND_RETRY;
}

static enum send_result hec_send(void *ctx, char *batch, size_t len, char *why, size_t cap)
{
    struct hec *h = ctx;
    char err[256];
    (void)len;
    h->body.len = 0;
    char *save = NULL;
    for (char *line = strtok_r(batch, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (envelope(h, line) < 0) {
            snprintf(why, cap, "not an outbox batch");
            return SEND_DEAD;
        }
    httpc_prepare(h->curl, h->event_url, h->headers, h->body.data, h->body.len, &h->answer);
    long status = httpc_perform(h->curl, err, sizeof err);
    if (status == 0) {
        snprintf(why, cap, "%s: %s", h->event_url, err);
        return SEND_RETRY;
    }
    if (status != 200) {
        describe(status, &h->answer, why, cap);
        return status == 400 || status == 401 || status == 403 || status == 413 ? SEND_DEAD : SEND_RETRY;
    }
    if (!h->w->conf.hec_ack)
        return SEND_OK;
    struct json *j = json_parse(h->answer.data, h->answer.len);
    char ack_id[32] = "";
    if (json_text(json_get(j, "ackId")))
        snprintf(ack_id, sizeof ack_id, "%s", json_text(json_get(j, "ackId")));
    json_free(j);
    if (!*ack_id) {
        snprintf(why, cap, "HEC answered without an ackId: is acknowledgement on for this token?");
        return SEND_RETRY;
    }
    return await_ack(h, ack_id, why, cap);
}

const struct sink_ops hec_ops = {"hec", hec_send, hec_free};
