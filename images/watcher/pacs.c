/* pacs.c: the pacs source. Every WATCH_PACS_INTERVAL_S it sweeps the PACS
 * with study-level C-FINDs from the checkpoint (less WATCH_PACS_OVERLAP_MIN,
 * for studies that arrive late) to now; the first sweep starts
 * WATCH_PACS_LOOKBACK_MIN ago. A sweep asks one day at a time (StudyDate
 * plus a StudyTime range); a window whose answers reach
 * WATCH_PACS_MAX_ANSWERS (the PACS may have left some out) is split in
 * two and each half asked again, down to one second. Studies are
 * de-duplicated by Study Instance UID against the previous sweep's
 * overlap; the checkpoint (STATE/cursor/ROUTE) advances once the sweep's
 * events are in the outbox. Dates and times are read in the watcher's
 * time zone (TZ). */
#include "pacs.h"

#include "atomicfile.h"
#include "cirr_dicom.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STUDY_ROOT_FIND "1.2.840.10008.5.1.4.1.2.2.1"

/* The study-level keys asked for, and the keywords they are indexed by. */
static const struct {
    uint32_t tag;
    const char *keyword;
} keys[] = {
    {CIRR_TAG_STUDY_INSTANCE_UID, "StudyInstanceUID"},
    {CIRR_TAG_STUDY_DATE, "StudyDate"},
    {CIRR_TAG_STUDY_TIME, "StudyTime"},
    {CIRR_TAG_ACCESSION_NUMBER, "AccessionNumber"},
    {CIRR_TAG_PATIENT_ID, "PatientID"},
    {CIRR_TAG_PATIENT_NAME, "PatientName"},
    {CIRR_TAG_PATIENT_BIRTH_DATE, "PatientBirthDate"},
    {CIRR_TAG_PATIENT_SEX, "PatientSex"},
    {CIRR_TAG_STUDY_DESCRIPTION, "StudyDescription"},
    {CIRR_TAG_MODALITIES_IN_STUDY, "ModalitiesInStudy"},
    {CIRR_TAG_REFERRING_PHYSICIAN_NAME, "ReferringPhysicianName"},
    {CIRR_TAG_INSTITUTION_NAME, "InstitutionName"},
    {CIRR_TAG_NUMBER_OF_STUDY_RELATED_SERIES, "NumberOfStudyRelatedSeries"},
    {CIRR_TAG_NUMBER_OF_STUDY_RELATED_INSTANCES, "NumberOfStudyRelatedInstances"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct seen {
    char uid[68];
    long long when; /* the study's date and time, seconds since the epoch */
};

struct monitor {
    struct source src;                   /* watcher, route, slot */
    long long checkpoint;          /* swept up to here (0: never) */
    struct seen *old, *now;        /* the previous sweep's (sorted) and this sweep's studies */
    size_t nold, nnow, capnow;
    struct strbuf batch;
    unsigned batch_events;
    uint64_t batch_read_ms;
    struct json **answers;         /* of the window being asked */
    size_t nanswers, capanswers;
    cirr_dicom_scu *scu;
};

static int by_uid(const void *a, const void *b) { return strcmp(((const struct seen *)a)->uid, ((const struct seen *)b)->uid); }

/* Seen in the previous sweep's overlap. (A sweep's own windows never
 * overlap, so it cannot see a study twice.) */
static int seen_before(const struct monitor *m, const char *uid)
{
    struct seen key;
    snprintf(key.uid, sizeof key.uid, "%s", uid);
    return m->nold && bsearch(&key, m->old, m->nold, sizeof *m->old, by_uid);
}

/* A C-FIND answer as {keyword: value}, kept for the window's count. */
static int collect(const cirr_dicom_dataset *match, void *ud)
{
    struct monitor *m = ud;
    char value[256];
    struct json *obj = json_new(JSON_OBJECT, NULL);
    for (size_t i = 0; i < NKEYS; i++)
        if (cirr_dicom_get_string(match, keys[i].tag, value, sizeof value) == CIRR_DICOM_OK && *value)
            json_put(obj, keys[i].keyword, json_new(JSON_STRING, value));
    if (m->nanswers == m->capanswers) {
        size_t cap = m->capanswers ? m->capanswers * 2 : 256;
        struct json **a = realloc(m->answers, cap * sizeof *a);
        if (!a) {
            json_free(obj);
            return 1; /* cancel: the window fails and is asked again later */
        }
        m->answers = a;
        m->capanswers = cap;
    }
    m->answers[m->nanswers++] = obj;
    return 0;
}

static void drop_answers(struct monitor *m)
{
    for (size_t i = 0; i < m->nanswers; i++)
        json_free(m->answers[i]);
    m->nanswers = 0;
}

/* One C-FIND: StudyDate=day, StudyTime=s0..s1 (seconds in the day). */
static int ask(struct monitor *m, const char *day, unsigned s0, unsigned s1)
{
    cirr_dicom_dataset *q;
    char range[40];
    uint16_t status = 0;
    if (cirr_dicom_dataset_new(&q) != CIRR_DICOM_OK)
        return -1;
    snprintf(range, sizeof range, "%02u%02u%02u-%02u%02u%02u", s0 / 3600, s0 / 60 % 60, s0 % 60, s1 / 3600,
             s1 / 60 % 60, s1 % 60);
    cirr_dicom_set_string(q, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
    for (size_t i = 0; i < NKEYS; i++)
        cirr_dicom_set_empty(q, keys[i].tag);
    cirr_dicom_set_string(q, CIRR_TAG_STUDY_DATE, day);
    if (s0 > 0 || s1 < 86399)
        cirr_dicom_set_string(q, CIRR_TAG_STUDY_TIME, range);
    cirr_dicom_status rc = cirr_dicom_scu_find(m->scu, STUDY_ROOT_FIND, q, collect, m, &status);
    cirr_dicom_dataset_free(q);
    if (rc != CIRR_DICOM_OK || (status != 0x0000 && status != 0xFE00)) {
        log_msg(LOG_WARN, m->src.route->name, "C-FIND %s %s failed: %s (status 0x%04x)", day, range,
                rc != CIRR_DICOM_OK ? cirr_dicom_last_error() : "refused", status);
        return -1;
    }
    return 0;
}

static long long study_time(const char *day, const char *tm)
{
    struct tm t = {0};
    if (!day || sscanf(day, "%4d%2d%2d", &t.tm_year, &t.tm_mon, &t.tm_mday) != 3)
        return 0;
    if (tm)
        sscanf(tm, "%2d%2d%2d", &t.tm_hour, &t.tm_min, &t.tm_sec);
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    t.tm_isdst = -1;
    return (long long)mktime(&t);
}

/* The window's answers, those not seen before, into the batch. */
static int take_answers(struct monitor *m)
{
    for (size_t i = 0; i < m->nanswers; i++) {
        const char *uid = json_text(json_get(m->answers[i], "StudyInstanceUID"));
        if (!uid || strlen(uid) > 64)
            continue;
        if (m->nnow == m->capnow) {
            size_t cap = m->capnow ? m->capnow * 2 : 256;
            struct seen *s = realloc(m->now, cap * sizeof *s);
            if (!s)
                return -1;
            m->now = s;
            m->capnow = cap;
        }
        struct seen *s = &m->now[m->nnow++];
        snprintf(s->uid, sizeof s->uid, "%s", uid);
        s->when = study_time(json_text(json_get(m->answers[i], "StudyDate")),
                             json_text(json_get(m->answers[i], "StudyTime")));
        if (seen_before(m, uid)) /* remembered again for the next sweep's overlap, not sent again */
            continue;
        struct event ev;
        struct json *tags = m->answers[i];
        m->answers[i] = NULL;
        if (event_build(tags, SOURCE_PACS, uid, &ev) < 0)
            continue;
        if (event_matches(&ev, m->src.route)) {
            if (!m->batch_events)
                m->batch_read_ms = clock_wall_ms();
            event_line(&m->batch, m->src.route, &ev, clock_wall_ms());
            m->batch_events++;
        }
        event_free(&ev);
    }
    drop_answers(m);
    return 0;
}

/* Ask a window of one day; split it while its answers reach the cap. */
static int window(struct monitor *m, const char *day, unsigned s0, unsigned s1)
{
    if (ask(m, day, s0, s1) < 0) {
        drop_answers(m);
        return -1;
    }
    if (m->nanswers >= m->src.w->conf.pacs_max_answers && s1 > s0) {
        unsigned mid = s0 + (s1 - s0) / 2;
        drop_answers(m);
        return window(m, day, s0, mid) < 0 || window(m, day, mid + 1, s1) < 0 ? -1 : 0;
    }
    if (m->nanswers >= m->src.w->conf.pacs_max_answers)
        log_msg(LOG_WARN, m->src.route->name, "%s at %u s: %zu answers in one second, the cap; some may be missing", day,
                s0, m->nanswers);
    return take_answers(m);
}

/* [from, to] (epoch seconds), one day at a time. */
static int sweep_range(struct monitor *m, long long from, long long to)
{
    while (from <= to) {
        time_t t = (time_t)from;
        struct tm tm;
        char day[16];
        localtime_r(&t, &tm);
        strftime(day, sizeof day, "%Y%m%d", &tm);
        unsigned s0 = (unsigned)(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
        long long left = to - from;
        unsigned s1 = left < 86399 - s0 ? s0 + (unsigned)left : 86399;
        if (window(m, day, s0, s1) < 0)
            return -1;
        from += (long long)(s1 - s0) + 1;
    }
    return 0;
}

static int write_checkpoint(struct monitor *m, long long when)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld\n", when);
    if (atomicfile_write(m->src.cursor_path, buf, (size_t)n, 0640, (uid_t)-1, (gid_t)-1) < 0)
        return -1;
    m->checkpoint = when;
    return 0;
}

/* This sweep's studies that the next one's overlap may see again become the old ones. */
static void keep_overlap(struct monitor *m, long long from_next)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nnow; i++)
        if (m->now[i].when >= from_next - 60)
            m->now[n++] = m->now[i];
    free(m->old);
    m->old = m->now;
    m->nold = n;
    qsort(m->old, m->nold, sizeof *m->old, by_uid);
    m->now = NULL;
    m->nnow = m->capnow = 0;
}

static int open_pacs(struct monitor *m)
{
    const struct watch_conf *c = &m->src.w->conf;
    const char *classes[] = {STUDY_ROOT_FIND, NULL};
    cirr_dicom_peer_config pc = {c->pacs_peer.host, c->pacs_peer.port, c->pacs_peer.aet, c->aet,
                                 30, c->http_timeout_s, 0};
    if (cirr_dicom_scu_open(&pc, classes, NULL, &m->scu) != CIRR_DICOM_OK) {
        log_msg(LOG_WARN, m->src.route->name, "cannot reach the PACS %s@%s:%u: %s", c->pacs_peer.aet, c->pacs_peer.host,
                c->pacs_peer.port, cirr_dicom_last_error());
        return -1;
    }
    return 0;
}

/* One sweep: 0, or -1 (nothing advanced; the next sweep asks again). */
static int sweep(struct monitor *m)
{
    const struct watch_conf *c = &m->src.w->conf;
    long long now = (long long)time(NULL);
    long long from = m->checkpoint ? m->checkpoint - (long long)c->pacs_overlap_min * 60
                                   : now - (long long)c->pacs_lookback_min * 60;
    if (open_pacs(m) < 0)
        return -1;
    int rc = sweep_range(m, from, now);
    cirr_dicom_scu_close(m->scu);
    m->scu = NULL;
    if (rc == 0 && m->batch_events &&
        outbox_put(&m->src.w->outbox, m->batch.data, m->batch.len, m->batch_read_ms) < 0) {
        log_msg(LOG_ERROR, m->src.route->name, "cannot write to the outbox: %s", strerror(errno));
        rc = -1;
    }
    if (rc == 0 && write_checkpoint(m, now) < 0) {
        log_msg(LOG_ERROR, m->src.route->name, "cannot write the checkpoint %s: %s", m->src.cursor_path,
                strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        atomic_fetch_add(&m->src.w->routes[m->src.slot].read, m->batch_events);
        keep_overlap(m, now - (long long)c->pacs_overlap_min * 60);
    } else {
        m->nnow = 0;
    }
    m->batch.len = 0;
    m->batch_events = 0;
    return rc;
}

/* A round of the source loop: one sweep, then idle until the next. */
static int sweep_round(void *arg)
{
    return sweep(arg) < 0 ? -1 : 1;
}

static void monitor_done(void *arg)
{
    struct monitor *m = arg;
    drop_answers(m);
    free(m->answers);
    free(m->old);
    free(m->now);
    strbuf_free(&m->batch);
    free(m);
}

int pacs_start(struct watcher *w, unsigned r)
{
    struct monitor *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    source_init(&m->src, w, r);
    FILE *in = fopen(m->src.cursor_path, "re");
    if (in) {
        if (fscanf(in, "%lld", &m->checkpoint) != 1)
            m->checkpoint = 0;
        fclose(in);
    }
    log_msg(LOG_INFO, m->src.route->name, "watching the PACS %s@%s:%u every %u s", w->conf.pacs_peer.aet,
            w->conf.pacs_peer.host, w->conf.pacs_peer.port, w->conf.pacs_interval_s);
    struct source_loop loop = {sweep_round, m, monitor_done, w->conf.pacs_interval_s * 1000, 1};
    if (source_start(&m->src, &loop) < 0) {
        free(m);
        return -1;
    }
    return 0;
}
