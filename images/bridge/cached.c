/* cached.c: see cached.h. */
#include "cached.h"

#include "bridge.h"
#include "cirr_dicom_relay.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cached_study(const struct bridge *b, const cirr_dicom_dataset *query, char *study)
{
    char level[17];
    if (!b->conf.cache_mb ||
        cirr_dicom_get_string(query, CIRR_TAG_QUERY_RETRIEVE_LEVEL, level, sizeof level) != CIRR_DICOM_OK ||
        strcmp(level, "STUDY") ||
        cirr_dicom_get_string(query, CIRR_TAG_STUDY_INSTANCE_UID, study, 65) != CIRR_DICOM_OK)
        return 0;
    return cache_valid_uid(study); /* a list ('\') is not one study */
}

struct served {
    struct bridge *b;
    char study[65];
    struct cache_listing l;
    char caller[LOG_ESCAPED_SIZE(16)];
    const char *what;
    unsigned sent;
    uint64_t started;
};

static cirr_dicom_status fetch(void *ctx, size_t i, cirr_dicom_dataset **out)
{
    struct served *s = ctx;
    char path[800];
    cache_path(&s->b->cache, s->study, s->l.uid[i], path, sizeof path);
    cirr_dicom_status rc = cirr_dicom_dataset_read(path, out);
    size_t bytes = 0;
    if (rc == CIRR_DICOM_OK && cirr_dicom_dataset_size(*out, &bytes) == CIRR_DICOM_OK)
        s->b->stats.bytes_relayed += bytes;
    if (rc == CIRR_DICOM_OK) {
        s->sent++;
        s->b->stats.instances_relayed++;
    }
    return rc;
}

static const char *class_of(void *ctx, size_t i) { return ((struct served *)ctx)->l.sop_class[i]; }

static void release(void *ctx)
{
    struct served *s = ctx;
    log_msg(LOG_INFO, NULL, "%s from %s done from the cache: %u of %zu instances handed on; %.1f s", s->what,
            s->caller, s->sent, s->l.n, (double)(clock_mono_ms() - s->started) / 1000.0);
    cache_release(&s->b->cache, s->study);
    cache_listing_free(&s->l);
    free(s);
}

int cached_serve(struct bridge *b, const char *caller, const char *what, const char *study,
                 cirr_dicom_instances *out)
{
    struct served *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    if (cache_lookup(&b->cache, study, &s->l) < 0) {
        free(s);
        return -1;
    }
    s->b = b;
    s->what = what;
    s->started = clock_mono_ms();
    snprintf(s->study, sizeof s->study, "%s", study);
    snprintf(s->caller, sizeof s->caller, "%s", caller);
    log_msg(LOG_INFO, NULL, "%s from %s: study %s served from the cache (%zu instances), the upstream not asked",
            what, caller, study, s->l.n);
    *out = (cirr_dicom_instances){.count = s->l.n, .fetch = fetch, .sop_class = class_of, .release = release,
                                  .ctx = s};
    return 0;
}

struct filling {
    struct bridge *b;
    char study[65];
};

static int keep(void *ud, const cirr_dicom_dataset *ds, const char *ts_uid)
{
    struct filling *f = ud;
    return cache_keep(&f->b->cache, f->study, ds, ts_uid);
}

void cached_fill(struct bridge *b, const char *study, struct job *job)
{
    struct filling *f = calloc(1, sizeof *f);
    if (!f)
        return; /* not kept: the move goes on without the cache */
    f->b = b;
    snprintf(f->study, sizeof f->study, "%s", study);
    cache_begin(&b->cache, study);
    job->keep = keep;
    job->keep_ud = f;
}

void cached_finish(struct bridge *b, const char *study, const struct job *job, int complete)
{
    if (!job->keep)
        return;
    struct cache_listing l = {0};
    complete = complete && !job->not_kept && job->arrived == job->n;
    if (complete) {
        l.sop_class = malloc(job->n * sizeof *l.sop_class);
        l.uid = malloc(job->n * sizeof *l.uid);
        complete = l.sop_class && l.uid;
        for (size_t i = 0; complete && i < job->n; i++) {
            memcpy(l.sop_class[i], job->items[i].sop_class, sizeof l.sop_class[i]);
            memcpy(l.uid[i], job->items[i].uid, sizeof l.uid[i]);
        }
        l.n = job->n;
    }
    cache_end(&b->cache, study, complete ? &l : NULL);
    log_msg(LOG_INFO, NULL, "cache: study %s %s", study,
            complete ? "complete: later retrieves are served from the cache" : "not complete: not kept");
    cache_listing_free(&l);
    free(job->keep_ud);
}
