/* http.c: see http.h. */
#include "http.h"

#include "api.h"
#include "bridge.h"
#include "page.h"

#include <string.h>

static void gauge(struct strbuf *b, const char *name, const char *help, unsigned long long v)
{
    strbuf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name, v);
}

/* The throttle's figures, read together under its lock. */
static void upstream(struct strbuf *b, struct bridge *br)
{
    struct throttle *t = &br->throttle;
    pthread_mutex_lock(&t->mu);
    unsigned in_use = t->in_use, queued = t->queued, high = t->high_water;
    unsigned long long waited = t->waited_total, timed_out = t->timed_out_total;
    pthread_mutex_unlock(&t->mu);
    gauge(b, "bridge_upstream_in_use", "Associations to the upstream open now (idle ones included).", in_use);
    pthread_mutex_lock(&br->pool.mu);
    unsigned idle = br->pool.n;
    pthread_mutex_unlock(&br->pool.mu);
    gauge(b, "bridge_upstream_idle", "Associations to the upstream kept open for the next request.", idle);
    gauge(b, "bridge_upstream_in_use_max", "The most associations to the upstream open at once so far.", high);
    gauge(b, "bridge_upstream_limit", "BRIDGE_MAX_UPSTREAM.", t->limit);
    gauge(b, "bridge_upstream_queued", "Requests waiting for an upstream association now.", queued);
    strbuf_addf(b, "# HELP bridge_upstream_waited_total Requests that had to wait for an upstream association.\n"
                   "# TYPE bridge_upstream_waited_total counter\nbridge_upstream_waited_total %llu\n"
                   "# HELP bridge_upstream_queue_timeouts_total Requests refused after BRIDGE_QUEUE_TIMEOUT.\n"
                   "# TYPE bridge_upstream_queue_timeouts_total counter\nbridge_upstream_queue_timeouts_total %llu\n",
                waited, timed_out);
}

static void cache_metrics(struct bridge *b, struct strbuf *body)
{
    struct cache *c = &b->cache;
    if (!b->conf.cache_mb)
        return;
    pthread_mutex_lock(&c->mu);
    unsigned long long bytes = c->bytes, hits = c->hits, kept = c->kept, evicted = c->evicted;
    pthread_mutex_unlock(&c->mu);
    gauge(body, "bridge_cache_bytes", "Bytes of instances kept in the cache now.", bytes);
    gauge(body, "bridge_cache_limit_bytes", "BRIDGE_CACHE_MB in bytes.", c->limit);
    strbuf_addf(body, "# HELP bridge_cache_hits_total Retrieves served from the cache, the upstream not asked.\n"
                      "# TYPE bridge_cache_hits_total counter\nbridge_cache_hits_total %llu\n"
                      "# HELP bridge_cache_instances_kept_total Instances written to the cache (fsynced).\n"
                      "# TYPE bridge_cache_instances_kept_total counter\nbridge_cache_instances_kept_total %llu\n"
                      "# HELP bridge_cache_evictions_total Studies evicted, least recently used first.\n"
                      "# TYPE bridge_cache_evictions_total counter\nbridge_cache_evictions_total %llu\n",
                hits, kept, evicted);
}

int http_waits_on_the_pacs(const struct httpd_request *req, void *ud)
{
    (void)ud;
    return !strncmp(req->path, "/api/find", 9) && (req->path[9] == '\0' || req->path[9] == '?');
}

int http_page(const struct httpd_request *req, struct strbuf *body, const char **type, void *ud)
{
    struct bridge *b = ud;
    const char *path = req->path;
    if (!strcmp(path, "/health")) {
        strbuf_adds(body, "ok\n");
        return 200;
    }
    int status = api_page(b, req, body);
    if (status) {
        *type = "application/json";
        return status;
    }
    if (!strcmp(req->method, "POST")) {
        strbuf_adds(body, "only /api/retrieve takes a POST\n");
        return 405;
    }
    if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
        *type = "text/html; charset=utf-8";
        strbuf_adds(body, page_html);
        return 200;
    }
    if (strcmp(path, "/metrics")) {
        strbuf_adds(body, "not found: try /, /api/..., /metrics or /health\n");
        return 404;
    }
    *type = "text/plain; version=0.0.4";
    upstream(body, b);
    pthread_mutex_lock(&b->jobs.mu);
    unsigned active = b->jobs.active;
    pthread_mutex_unlock(&b->jobs.mu);
    gauge(body, "bridge_retrieves_active", "C-MOVEs and C-GETs waiting for the upstream's instances now.", active);
    stats_write(&b->stats, body);
    cache_metrics(b, body);
    return 200;
}
