/* probe_http.c: the http and https probes, over libcurl. */
#include "probe.h"

#include "log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

static void set_auth(CURL *c, const struct probe *p)
{
    const char *user = p->user;
    if (p->user_env)
        user = getenv(p->user_env);
    const char *password = p->password_env ? getenv(p->password_env) : NULL;
    if (!user && password)
        user = "admin";
    if (user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
    }
}

static void set_tls(CURL *c, const struct probe *p)
{
    if (p->ca_file && *p->ca_file) /* the probe's `ca`, else CIRR_CA_BUNDLE (settings.h) */
        curl_easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, p->insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, p->insecure ? 0L : 2L);
    if (p->cert_file)
        curl_easy_setopt(c, CURLOPT_SSLCERT, p->cert_file);
    if (p->key_file)
        curl_easy_setopt(c, CURLOPT_SSLKEY, p->key_file);
}

/* libcurl's own message, which it cuts to CURL_ERROR_SIZE itself: a full
 * one may end in the beginning of a secret. */
static void curl_reason(char *reason, size_t cap, const char *errbuf, CURLcode rc)
{
    if (!errbuf[0]) {
        log_format(reason, cap, "%s", curl_easy_strerror(rc));
        return;
    }
    char *r = log_redact_text(errbuf, strlen(errbuf) + 1 >= CURL_ERROR_SIZE);
    log_format(reason, cap, "%s", r ? r : "(message lost: out of memory)");
    free(r);
}

int probe_http(const struct probe *p, char *reason, size_t cap)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_format(reason, cap, "cannot initialise libcurl");
        return 1;
    }
    CURL *c = curl_easy_init();
    if (!c) {
        log_format(reason, cap, "cannot initialise libcurl");
        return 1;
    }
    curl_easy_setopt(c, CURLOPT_URL, p->target);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cirr-init");
    set_auth(c, p);
    set_tls(c, p);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    int result = 1;
    if (rc != CURLE_OK) {
        curl_reason(reason, cap, errbuf, rc);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status == p->expect_status)
            result = 0;
        else
            log_format(reason, cap, "HTTP %ld (expected %d)", status, p->expect_status);
    }
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return result;
}
