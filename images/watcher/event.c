/* event.c: see event.h. */
#include "event.h"

#include "list.h"
#include "srflat.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* DA + TM -> "YYYY-MM-DDTHH:MM:SS" and its epoch (in the time zone TZ
 * names: UTC in the image), or 0 when DA is not a date. */
static int date_time(const char *da, const char *tm, char *iso, size_t cap, long long *epoch)
{
    struct tm t = {0};
    if (!da || strlen(da) != 8 || strspn(da, "0123456789") != 8)
        return 0;
    sscanf(da, "%4d%2d%2d", &t.tm_year, &t.tm_mon, &t.tm_mday);
    if (tm && strspn(tm, "0123456789") >= 2)
        sscanf(tm, "%2d%2d%2d", &t.tm_hour, &t.tm_min, &t.tm_sec);
    if (t.tm_mon < 1 || t.tm_mon > 12 || t.tm_mday < 1 || t.tm_mday > 31 || t.tm_hour > 23 || t.tm_min > 59 ||
        t.tm_sec > 60)
        return 0;
    snprintf(iso, cap, "%04d-%02d-%02dT%02d:%02d:%02d", t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min,
             t.tm_sec);
    /* mktime reads the time zone's file at each call: the events of a page
     * mostly share their study's date and time, so the last one is kept */
    static _Thread_local char last_iso[64];
    static _Thread_local long long last_epoch;
    if (strcmp(iso, last_iso)) {
        t.tm_year -= 1900;
        t.tm_mon -= 1;
        t.tm_isdst = -1;
        last_epoch = (long long)mktime(&t);
        snprintf(last_iso, sizeof last_iso, "%s", iso);
    }
    *epoch = last_epoch;
    return 1;
}

/* Add NAME DateTime from NAME Date and NAME Time; its epoch, or 0. */
static long long add_date_time(struct json *tags, const char *name)
{
    char da[48], tm[48], dt[48], iso[64];
    long long epoch = 0;
    snprintf(da, sizeof da, "%sDate", name);
    snprintf(tm, sizeof tm, "%sTime", name);
    snprintf(dt, sizeof dt, "%sDateTime", name);
    if (json_get(tags, dt) || !date_time(json_text(json_get(tags, da)), json_text(json_get(tags, tm)), iso,
                                         sizeof iso, &epoch))
        return 0;
    json_put(tags, dt, json_new(JSON_STRING, iso));
    return epoch;
}

static const char *uid_keyword(enum source_kind kind)
{
    switch (kind) {
    case SOURCE_ORTHANC_INSTANCES: return "SOPInstanceUID";
    case SOURCE_ORTHANC_SERIES: return "SeriesInstanceUID";
    default: return "StudyInstanceUID";
    }
}

int event_build(struct json *tags, enum source_kind kind, const char *fallback_uid, struct event *ev)
{
    memset(ev, 0, sizeof *ev);
    if (!tags || tags->type != JSON_OBJECT) {
        json_free(tags);
        return -1;
    }
    long long study = add_date_time(tags, "Study");
    long long series = add_date_time(tags, "Series");
    srflat_apply(tags);
    const char *uid = json_text(json_get(tags, uid_keyword(kind)));
    snprintf(ev->uid, sizeof ev->uid, "%s", uid && *uid ? uid : fallback_uid ? fallback_uid : "");
    for (char *p = ev->uid; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '_'; /* never a tab or a newline in an outbox line */
    ev->time = kind == SOURCE_ORTHANC_SERIES && series ? series : study;
    if (!ev->time)
        ev->time = (long long)time(NULL);
    ev->json = tags;
    return 0;
}

void event_free(struct event *ev)
{
    json_free(ev->json);
    ev->json = NULL;
}

int event_matches(const struct event *ev, const struct route *r)
{
    if (!r->filter_key[0])
        return 1;
    const char *v = json_text(json_get(ev->json, r->filter_key));
    if (!v)
        return 0;
    char **values = list_split(v, '\\'); /* a multi-valued element matches on any of its values */
    int hit = 0;
    for (char **p = values; *p && !hit; p++)
        hit = list_contains(r->filter_values, *p);
    list_free(values);
    return hit;
}

void event_line(struct strbuf *batch, const struct route *r, const struct event *ev, uint64_t read_ms)
{
    strbuf_addf(batch, "%s\t%s\t%s\t%llu\t%lld\t", r->index, r->name, ev->uid, (unsigned long long)read_ms,
                ev->time);
    json_write(ev->json, batch);
    strbuf_adds(batch, "\n");
}

int event_fields(char *line, char *fields[FIELD_COUNT])
{
    for (int i = 0; i < FIELD_JSON; i++) {
        char *tab = strchr(line, '\t');
        if (!tab)
            return -1;
        *tab = '\0';
        fields[i] = line;
        line = tab + 1;
    }
    fields[FIELD_JSON] = line;
    return *line ? 0 : -1;
}
