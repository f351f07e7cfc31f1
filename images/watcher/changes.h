/* changes.h: reading Orthanc for an orthanc:* route: one page of /changes
 * from a change number, with the tags of the changes the route wants
 * (NewInstance, StableSeries or StableStudy), read several at a time on
 * kept-alive connections (an instance's simplified tags, a series' or
 * study's shared tags, or with WATCH_ORTHANC_TAGS=main Orthanc's index).
 * Read only: what is read becomes events in the route's thread. */
#ifndef WATCH_CHANGES_H
#define WATCH_CHANGES_H

#include "json.h"
#include "watcher.h"

struct changes_item {
    char id[100];                 /* Orthanc's ID of the resource */
    unsigned long long seq;       /* its change's number */
    struct json *tags;            /* owned; NULL: the resource was deleted before it was read */
};

struct changes_page {
    struct changes_item *items;   /* the wanted changes, in order */
    size_t n;
    unsigned long long last;      /* /changes' "Last" (the cursor after this page) */
    int done;                     /* /changes' "Done": nothing after this page yet */
};

struct changes_reader;

/* A reader for route r (its curl handles, its main-tags cache), or NULL. */
struct changes_reader *changes_reader_new(struct watcher *w, unsigned r);
void changes_reader_free(struct changes_reader *c);

/* The page after change `since`, its wanted changes' tags read. 0, or -1
 * (one warning logged) when it must be read again. */
int changes_read(struct changes_reader *c, unsigned long long since, struct changes_page *out);
void changes_page_free(struct changes_page *p);

/* Orthanc's change type that route source k follows. */
const char *changes_type(enum source_kind k);

#endif
