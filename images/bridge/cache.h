/* cache.h: studies kept on disk as they pass through, up to a limit, the
 * least recently used evicted first. A study counts as complete (and is
 * then served without asking the upstream) only when a move of the whole
 * study ended with success, no failure, and every listed instance kept.
 *
 * Layout: DIR/<study uid>/<sop instance uid>.dcm, each written by
 * lib/atomicfile (fsynced, renamed, folder fsynced) before it counts as
 * kept; DIR/<study uid>/complete lists "<sop class> <sop instance uid>"
 * a line, written last, the same way. At start, folders without
 * "complete" are removed (nothing in them was ever complete). */
#ifndef BRIDGE_CACHE_H
#define BRIDGE_CACHE_H

#include "cirr_dicom.h"

#include <pthread.h>
#include <stdint.h>

struct cache_study;

struct cache {
    pthread_mutex_t mu;
    char dir[256];
    unsigned long long limit, bytes;  /* bytes kept, at most limit */
    struct cache_study *head;
    unsigned long long hits, kept, evicted; /* studies served, instances kept, studies evicted */
};

/* What a complete study holds (cache_lookup). */
struct cache_listing {
    char (*sop_class)[65];
    char (*uid)[65];
    size_t n;
};

/* Open (creating) dir with room for limit bytes; 0 or -1 with err. */
int cache_open(struct cache *c, const char *dir, unsigned long long limit, char *err, size_t cap);
void cache_close(struct cache *c);

/* 1 when uid is a UID (digits and dots, 1 to 64): safe as a file name. */
int cache_valid_uid(const char *uid);

/* A move of study begins: its entry is held until cache_end. */
void cache_begin(struct cache *c, const char *study);
/* Keep one instance of study (encoded in ts_uid): room made by evicting
 * the least recently used studies nobody holds. 0 when kept (durable), -1
 * when not (no room, a write error: the study will not be complete). */
int cache_keep(struct cache *c, const char *study, const cirr_dicom_dataset *ds, const char *ts_uid);
/* The move ended: complete (listing: what the study holds) or not, in
 * which case what was kept of it goes once nobody holds it. */
void cache_end(struct cache *c, const char *study, const struct cache_listing *complete);

/* A complete study: its listing (free with cache_listing_free), held
 * until cache_release. 0, or -1 when not complete in the cache. */
int cache_lookup(struct cache *c, const char *study, struct cache_listing *out);
void cache_release(struct cache *c, const char *study);
void cache_listing_free(struct cache_listing *l);

/* The path of an instance of study. */
void cache_path(const struct cache *c, const char *study, const char *uid, char *buf, size_t cap);

#endif
