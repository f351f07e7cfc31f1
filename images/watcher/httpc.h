/* httpc.h: HTTP requests over libcurl for the Orthanc source and the HEC
 * sink: one easy handle a connection (kept alive between requests), TLS
 * verified against a CA bundle unless told otherwise, a deadline per
 * request. */
#ifndef WATCH_HTTPC_H
#define WATCH_HTTPC_H

#include "strbuf.h"

#include <curl/curl.h>
#include <stddef.h>

struct httpc_opts {
    unsigned timeout_s;
    const char *ca;          /* CA bundle file, or NULL/"" for the system's */
    int insecure;            /* do not verify the peer's certificate */
    const char *user, *password; /* Basic auth, or NULL */
};

/* A new handle configured with opts (copied where curl needs it), or NULL. */
CURL *httpc_new(const struct httpc_opts *opts);

/* Prepare h for a request: GET when body is NULL, else POST of len bytes;
 * the answer's body goes to out (reset first). */
void httpc_prepare(CURL *h, const char *url, struct curl_slist *headers, const char *body, size_t len,
                   struct strbuf *out);

/* Perform a prepared request: the HTTP status, or 0 for a network error
 * (its text in err, which never holds the request's headers). */
long httpc_perform(CURL *h, char *err, size_t cap);

/* The status (0: network error) of a request that a multi handle ran. */
long httpc_status(CURL *h, CURLcode rc, char *err, size_t cap);

#endif
