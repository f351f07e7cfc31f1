/* httpc.c: see httpc.h. */
#include "httpc.h"

#include <string.h>

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    strbuf_add(ud, data, size * n);
    return size * n;
}

CURL *httpc_new(const struct httpc_opts *o)
{
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)o->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(o->timeout_s < 10 ? o->timeout_s : 10));
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    if (o->ca && *o->ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->user && *o->user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, o->password ? o->password : "");
    }
    return h;
}

void httpc_prepare(CURL *h, const char *url, struct curl_slist *headers, const char *body, size_t len,
                   struct strbuf *out)
{
    out->len = 0;
    if (out->data)
        out->data[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
}

long httpc_status(CURL *h, CURLcode rc, char *err, size_t cap)
{
    long status = 0;
    if (rc != CURLE_OK) {
        snprintf(err, cap, "%s", curl_easy_strerror(rc));
        return 0;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (!status)
        snprintf(err, cap, "no HTTP answer");
    return status;
}

long httpc_perform(CURL *h, char *err, size_t cap)
{
    return httpc_status(h, curl_easy_perform(h), err, cap);
}
