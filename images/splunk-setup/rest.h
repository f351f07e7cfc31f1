/* rest.h: Splunk's management REST API over libcurl: Basic auth,
 * ?output_mode=json, form bodies, JSON answers; and the wait for a Splunk
 * that is still starting (unreachable, or 503) up to SPLUNK_WAIT_S. */
#ifndef SPLUNK_REST_H
#define SPLUNK_REST_H

#include "../watcher/json.h"
#include "setupconf.h"
#include "strbuf.h"

#include <curl/curl.h>
#include <stdint.h>

struct rest {
    CURL *h;
    const char *base;            /* SPLUNK_MGMT_URL */
    struct strbuf body;          /* the last answer */
    char curl_err[CURL_ERROR_SIZE];
    uint64_t deadline_ms;        /* clock_mono_ms() after which an absent Splunk is final */
    unsigned failures;           /* attempts in a row that found no Splunk */
    unsigned wait_s;             /* SPLUNK_WAIT_S, for the last error line */
    char err[1024];              /* why the last call failed: one line, no secret */
};

/* Open a client for c, which must outlive it. 0, or -1 (out of memory). */
int rest_open(struct rest *r, const struct setup_conf *c);
void rest_close(struct rest *r);

/* One call: method "GET", "POST" or "DELETE" on path (its variable parts
 * escaped with rest_escape), with a form body (NULL: none). Waits while
 * Splunk is unreachable or answers 503, until the deadline. Returns 0 with
 * *status (2xx, 404 or 409: the caller's to judge) and *answer (the JSON
 * answer, NULL when empty; the caller frees it), else the exit code: 100
 * when Splunk refuses the password (401), 1 for anything else; r->err
 * says why. */
int rest_call(struct rest *r, const char *method, const char *path, const char *form, long *status,
              struct json **answer);

/* Append "&key=value" (no '&' first), both percent-encoded. */
void rest_form_add(struct rest *r, struct strbuf *form, const char *key, const char *value);

/* s percent-encoded, for a path segment: a malloc'd string. */
char *rest_escape(struct rest *r, const char *s);

#endif
