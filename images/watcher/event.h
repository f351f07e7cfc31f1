/* event.h: what is indexed for a resource: its tags by DICOM keyword (as
 * Orthanc's "simplified" JSON has them, or a C-FIND answer), with
 * StudyDateTime and SeriesDateTime added (DIANA's simplified form), and a
 * structured report's content tree flattened by concept name (srflat.h).
 * doc/watcher.md, "What is indexed", has the mapping. */
#ifndef WATCH_EVENT_H
#define WATCH_EVENT_H

#include "json.h"
#include "strbuf.h"
#include "watchconf.h"

#include <stdint.h>

struct event {
    struct json *json;   /* the event object (owned) */
    char uid[128];       /* the resource's UID: the PostgreSQL key */
    long long time;      /* seconds since the epoch, for HEC's "time" */
};

/* Turn tags (an object; ownership passes to ev) into the event of a
 * resource of this source. fallback_uid is used when the tags carry no
 * UID of the level. 0, or -1 when tags is not an object. */
int event_build(struct json *tags, enum source_kind kind, const char *fallback_uid, struct event *ev);
void event_free(struct event *ev);

/* 1 when the route's filter (if any) lets the event through. */
int event_matches(const struct event *ev, const struct route *r);

/* Append the event's outbox line (outbox.h) to batch. */
void event_line(struct strbuf *batch, const struct route *r, const struct event *ev, uint64_t read_ms);

/* An outbox line's fields, split in place (empty fields kept): index,
 * route, uid, read_ms, time, then the event's JSON. 0, or -1 when the
 * line does not have them all. */
enum { FIELD_INDEX, FIELD_ROUTE, FIELD_UID, FIELD_READ_MS, FIELD_TIME, FIELD_JSON, FIELD_COUNT };
int event_fields(char *line, char *fields[FIELD_COUNT]);

#endif
