/* api.c: see api.h. A find runs on the HTTP thread (lib/httpd answers one
 * request at a time): it never waits for an upstream association (503
 * when all are busy) and keeps at most API_MAX_ANSWERS answers. */
#include "api.h"

#include "bridge.h"
#include "formbody.h"
#include "log.h"
#include "upstream.h"
#include "urlquery.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MAX_ANSWERS 500
#define STUDY_ROOT_FIND "1.2.840.10008.5.1.4.1.2.2.1"

/* The keys a find may restrict, with what their values may be. */
static const struct key {
    const char *name;
    uint32_t tag;
    size_t max;
    const char *chars; /* allowed characters; NULL: any printable */
} keys[] = {
    {"PatientID", CIRR_TAG_PATIENT_ID, 64, NULL},
    {"PatientName", CIRR_TAG_PATIENT_NAME, 64, NULL},
    {"AccessionNumber", CIRR_TAG_ACCESSION_NUMBER, 16, NULL},
    {"StudyDate", CIRR_TAG_STUDY_DATE, 17, "0123456789-"},
    {"StudyInstanceUID", CIRR_TAG_STUDY_INSTANCE_UID, 64, "0123456789."},
    {"ModalitiesInStudy", CIRR_TAG_MODALITIES_IN_STUDY, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*?"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* What every answer carries (asked empty besides the keys given). */
static const struct { const char *name; uint32_t tag; } returned[] = {
    {"StudyInstanceUID", CIRR_TAG_STUDY_INSTANCE_UID}, {"PatientID", CIRR_TAG_PATIENT_ID},
    {"PatientName", CIRR_TAG_PATIENT_NAME},           {"AccessionNumber", CIRR_TAG_ACCESSION_NUMBER},
    {"StudyDate", CIRR_TAG_STUDY_DATE},               {"StudyTime", CIRR_TAG_STUDY_TIME},
    {"StudyDescription", CIRR_TAG_STUDY_DESCRIPTION}, {"ModalitiesInStudy", CIRR_TAG_MODALITIES_IN_STUDY},
    {"NumberOfStudyRelatedInstances", CIRR_TAG_NUMBER_OF_STUDY_RELATED_INSTANCES},
};
#define NRETURNED (sizeof returned / sizeof returned[0])

/* s as a JSON string, quotes included; bytes above 0x7f are read as
 * ISO 8859-1 (DICOM's most common character set), so the JSON stays UTF-8. */
static void json_str(struct strbuf *body, const char *s)
{
    strbuf_adds(body, "\"");
    for (const char *p = s; *p; p++) {
        char one[2] = {*p, 0};
        if ((unsigned char)*p >= 0x80)
            strbuf_addf(body, "\\u%04x", (unsigned char)*p);
        else
            strbuf_add_json(body, one);
    }
    strbuf_adds(body, "\"");
}

static int fail(struct strbuf *body, int status, const char *why)
{
    strbuf_adds(body, "{\"error\": ");
    json_str(body, why);
    strbuf_adds(body, "}\n");
    return status;
}

/* The query dataset from the parameters; NULL with err when one is bad. */
static cirr_dicom_dataset *find_query(const struct urlquery *q, char *err, size_t cap)
{
    const char *level = urlquery_get(q, "level");
    if (!level || strcmp(level, "STUDY"))
        return snprintf(err, cap, "level: STUDY is the one level the API answers"), NULL;
    cirr_dicom_dataset *ds = NULL;
    if (cirr_dicom_dataset_new(&ds) != CIRR_DICOM_OK)
        return snprintf(err, cap, "out of memory"), NULL;
    cirr_dicom_set_string(ds, CIRR_TAG_QUERY_RETRIEVE_LEVEL, "STUDY");
    for (size_t i = 0; i < NRETURNED; i++)
        cirr_dicom_set_empty(ds, returned[i].tag);
    for (size_t i = 0; i < NKEYS; i++) {
        const char *v = urlquery_get(q, keys[i].name);
        if (!v || !*v)
            continue;
        if (strlen(v) > keys[i].max || (keys[i].chars && strspn(v, keys[i].chars) != strlen(v))) {
            snprintf(err, cap, "%s: at most %zu characters%s%s", keys[i].name, keys[i].max,
                     keys[i].chars ? " of " : "", keys[i].chars ? keys[i].chars : "");
            cirr_dicom_dataset_free(ds);
            return NULL;
        }
        cirr_dicom_set_string(ds, keys[i].tag, v);
    }
    return ds;
}

struct answers { struct strbuf *body; unsigned n; };

static int add_answer(const cirr_dicom_dataset *match, void *ud)
{
    struct answers *a = ud;
    char value[256];
    strbuf_adds(a->body, a->n ? ",\n  {" : "\n  {");
    for (size_t i = 0; i < NRETURNED; i++) {
        if (cirr_dicom_get_string(match, returned[i].tag, value, sizeof value) != CIRR_DICOM_OK)
            value[0] = '\0';
        strbuf_addf(a->body, "%s\"%s\": ", i ? ", " : "", returned[i].name);
        json_str(a->body, value);
    }
    strbuf_adds(a->body, "}");
    return ++a->n >= API_MAX_ANSWERS; /* enough: cancel the rest */
}

static int api_find(struct bridge *b, const char *path, struct strbuf *body)
{
    static const char *const names[] = {"level", "PatientID", "PatientName", "AccessionNumber", "StudyDate",
                                        "StudyInstanceUID", "ModalitiesInStudy", NULL};
    struct urlquery q;
    char err[160];
    if (urlquery_parse(path, names, &q, err, sizeof err) < 0)
        return fail(body, 400, err);
    cirr_dicom_dataset *query = find_query(&q, err, sizeof err);
    if (!query)
        return fail(body, 400, err);
    stats_request(&b->stats, STATS_FIND, "(http)");
    cirr_dicom_scu *scu = NULL;
    uint16_t status = upstream_open(b, "(http)", "HTTP find", 0, &scu);
    if (status != 0x0000) {
        cirr_dicom_dataset_free(query);
        return fail(body, 503, status == 0xA700 ? "every upstream association is busy: try again" : "the PACS cannot be reached");
    }
    struct answers a = {body, 0};
    strbuf_adds(body, "{\"answers\": [");
    cirr_dicom_status s = cirr_dicom_scu_find(scu, STUDY_ROOT_FIND, query, add_answer, &a, &status);
    upstream_close(b, scu, s == CIRR_DICOM_OK && a.n < API_MAX_ANSWERS);
    cirr_dicom_dataset_free(query);
    b->stats.matches += a.n;
    strbuf_addf(body, "\n], \"count\": %u, \"truncated\": %s, \"status\": \"0x%04x\"}\n", a.n,
                a.n >= API_MAX_ANSWERS ? "true" : "false", status);
    if (s != CIRR_DICOM_OK && a.n < API_MAX_ANSWERS) {
        body->len = 0;
        return fail(body, 502, "the PACS failed during the query");
    }
    return 200;
}

/* POST, its parameters in the body; GET with them in the query string is
 * still taken until ci/swarm.py posts (doc/bridge.md, Limits). */
static int api_retrieve(struct bridge *b, const struct httpd_request *req, struct strbuf *body)
{
    static const char *const names[] = {"study", "destination", NULL};
    struct urlquery q;
    char err[160];
    if (strcmp(req->method, "POST")) /* it starts a retrieve: never on a GET a crawler or prefetch may send */
        return fail(body, 405, "POST study and destination (form or JSON) to /api/retrieve");
    if (formbody_parse(req, names, &q, err, sizeof err) < 0)
        return fail(body, 400, err);
    const char *study = urlquery_get(&q, "study"), *dest = urlquery_get(&q, "destination");
    if (!study || !cache_valid_uid(study))
        return fail(body, 400, "study: a Study Instance UID (digits and dots, at most 64)");
    if (!dest || !bridge_destination_named(&b->conf, dest))
        return fail(body, 400, "destination: the NAME of a MOD_<NAME> peer other than the upstream");
    unsigned id = apijobs_start(&b->apijobs, b, study, dest);
    if (!id)
        return fail(body, 503, "too many retrieves running: try again");
    strbuf_addf(body, "{\"job\": %u}\n", id);
    return 200;
}

static int api_job(struct bridge *b, const char *id_text, struct strbuf *body)
{
    char *end;
    if (!isdigit((unsigned char)*id_text) || strlen(id_text) > 9)
        return fail(body, 400, "a job id is a number");
    unsigned long id = strtoul(id_text, &end, 10);
    if (*end)
        return fail(body, 400, "a job id is a number");
    return apijobs_json(&b->apijobs, (unsigned)id, body) == 200 ? 200 : fail(body, 404, "no such job");
}

static int api_destinations(struct bridge *b, struct strbuf *body)
{
    strbuf_adds(body, "{\"destinations\": [");
    unsigned n = 0;
    for (unsigned i = 0; i < b->conf.npeers; i++) {
        const struct peer *p = &b->conf.peers[i];
        if (p == b->conf.upstream)
            continue;
        strbuf_addf(body, "%s{\"name\": \"%s\", \"aet\": ", n++ ? ", " : "", p->name);
        json_str(body, p->aet);
        strbuf_adds(body, "}");
    }
    strbuf_adds(body, "]}\n");
    return 200;
}

int api_page(struct bridge *b, const struct httpd_request *req, struct strbuf *body)
{
    const char *path = req->path;
    size_t plen = strcspn(path, "?");
    int post = !strcmp(req->method, "POST");
    if (post && !(plen == 13 && !strncmp(path, "/api/retrieve", 13)))
        return strncmp(path, "/api/", 5) ? 0 : fail(body, 405, "only /api/retrieve takes a POST");
    if (post && path[plen])
        return fail(body, 400, "a POST to /api/retrieve has its parameters in the body, not the URL");
    if (plen == 9 && !strncmp(path, "/api/find", 9))
        return api_find(b, path, body);
    if (plen == 13 && !strncmp(path, "/api/retrieve", 13))
        return api_retrieve(b, req, body);
    if (!strncmp(path, "/api/jobs/", 10) && !path[plen])
        return api_job(b, path + 10, body);
    if (!strcmp(path, "/api/destinations"))
        return api_destinations(b, body);
    if (!strncmp(path, "/api/", 5))
        return fail(body, 404, "no such API call");
    return 0;
}
