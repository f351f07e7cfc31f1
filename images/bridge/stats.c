/* stats.c: see stats.h. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[STATS_KINDS] = {"find", "move", "get"};

void stats_init(struct stats *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
}

void stats_destroy(struct stats *s) { pthread_mutex_destroy(&s->mu); }

void stats_request(struct stats *s, enum stats_kind kind, const char *caller)
{
    pthread_mutex_lock(&s->mu);
    unsigned i = 0;
    while (i < s->ncallers && strcmp(s->callers[i].aet, caller))
        i++;
    if (i == s->ncallers && i < STATS_MAX_CALLERS)
        snprintf(s->callers[s->ncallers++].aet, sizeof s->callers[i].aet, "%s", caller);
    if (i < s->ncallers)
        s->callers[i].n[kind]++;
    else
        s->other[kind]++;
    pthread_mutex_unlock(&s->mu);
}

/* A caller's AE title as a label value: only the characters an AE title
 * may have, so a peer cannot break the page (allowed callers only, but '*'). */
static void label(char *dst, size_t cap, const char *aet)
{
    size_t j = 0;
    for (const char *p = aet; *p && j + 1 < cap; p++)
        dst[j++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '_';
    dst[j] = '\0';
}

static void requests(struct stats *s, struct strbuf *b)
{
    strbuf_adds(b, "# HELP bridge_requests_total Requests from callers, by kind and calling AE title.\n"
                   "# TYPE bridge_requests_total counter\n");
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->ncallers; i++) {
        char aet[17];
        label(aet, sizeof aet, s->callers[i].aet);
        for (int k = 0; k < STATS_KINDS; k++)
            strbuf_addf(b, "bridge_requests_total{kind=\"%s\",caller=\"%s\"} %llu\n", kind_names[k], aet,
                        s->callers[i].n[k]);
    }
    for (int k = 0; k < STATS_KINDS; k++)
        if (s->other[k])
            strbuf_addf(b, "bridge_requests_total{kind=\"%s\",caller=\"(other)\"} %llu\n", kind_names[k],
                        s->other[k]);
    pthread_mutex_unlock(&s->mu);
}

void stats_write(struct stats *s, struct strbuf *b)
{
    const struct { const char *name, *help; atomic_ullong *v; } counters[] = {
        {"bridge_find_matches_total", "C-FIND answers relayed to callers.", &s->matches},
        {"bridge_instances_received_total", "Instances the upstream sent for a retrieve.", &s->instances_received},
        {"bridge_instances_relayed_total", "Instances handed on to a destination or a C-GET caller.",
         &s->instances_relayed},
        {"bridge_instances_failed_total", "Instances of a retrieve that never reached the bridge.",
         &s->instances_failed},
        {"bridge_bytes_relayed_total", "Bytes of the instances handed on (their datasets as received).",
         &s->bytes_relayed},
        {"bridge_unmatched_stores_total", "C-STOREs no retrieve was waiting for (refused).", &s->unmatched_stores},
        {"bridge_upstream_associations_total", "Associations opened to the upstream.", &s->upstream_associations},
        {"bridge_upstream_failures_total", "Upstream associations that could not be opened or broke.",
         &s->upstream_failures},
        {"bridge_associations_total", "Associations to the bridge that ended.", &s->associations},
        {"bridge_find_cancels_total", "C-FINDs a caller cancelled (the upstream's cancelled too).", &s->cancels},
    };
    requests(s, b);
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        strbuf_addf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
                    counters[i].name, counters[i].name, (unsigned long long)*counters[i].v);
}
