/* steps.c: see steps.h. Splunk answers a GET of one object with
 * {"entry":[{"name":..,"content":{..}}]}; flags come as JSON booleans or
 * as "0"/"1" depending on the endpoint and version, so both are read. */
#include "steps.h"

#include "list.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INDEXES "/services/data/indexes"
#define HEC "/servicesNS/admin/splunk_httpinput/data/inputs/http"
#define PROPS "/servicesNS/nobody/system/configs/conf-props"

/* One line of the report; changed counts a change. */
static void __attribute__((format(printf, 3, 4))) report(struct setup *s, int changed, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("splunk-setup: ");
    vprintf(fmt, ap);
    printf("%s\n", changed ? "" : ", unchanged");
    fflush(stdout);
    va_end(ap);
    s->changes += changed != 0;
}

/* base "/" name, name escaped: a malloc'd path. */
static char *object_path(struct setup *s, const char *base, const char *name)
{
    char *escaped = rest_escape(&s->rest, name);
    struct strbuf p = {0};
    strbuf_addf(&p, "%s/%s", base, escaped);
    free(escaped);
    return strbuf_take(&p);
}

/* A write whose answer only needs to be one Splunk gives (2xx, 404, 409). */
static int write_call(struct setup *s, const char *method, const char *path, struct strbuf *form, long *status)
{
    struct json *answer;
    long st;
    int rc = rest_call(&s->rest, method, path, form ? form->data : NULL, status ? status : &st, &answer);
    json_free(answer);
    if (form && form->data)
        memset(form->data, 0, form->len); /* it may hold the token */
    if (form)
        strbuf_free(form);
    return rc;
}

/* The object's settings in the answer (status) to a GET of path, or NULL
with s->rest.err set. */
static const struct json *content(struct setup *s, const char *path, long status, const struct json *answer)
{
    const struct json *c = json_get(json_at(json_get(answer, "entry"), 0), "content");
    if (!c || c->type != JSON_OBJECT)
        snprintf(s->rest.err, sizeof s->rest.err, "GET %s: HTTP %ld without entry[0].content", path, status);
    return c && c->type == JSON_OBJECT ? c : NULL;
}

/* A field of content as text: flags as "0"/"1", "" when absent. */
static const char *field(const struct json *content, const char *key)
{
    const struct json *v = json_get(content, key);
    const char *t = v && v->type == JSON_BOOL ? v->text : json_text(v);
    if (!t)
        return "";
    if (!strcasecmp(t, "true"))
        return "1";
    return strcasecmp(t, "false") ? t : "0";
}

int step_index(struct setup *s, const char *name)
{
    char *path = object_path(s, INDEXES, name);
    struct json *answer;
    long status;
    int rc = rest_call(&s->rest, "GET", path, NULL, &status, &answer);
    json_free(answer);
    free(path);
    if (rc || status == 200) {
        if (!rc)
            report(s, 0, "index %s: exists", name);
        return rc;
    }
    struct strbuf form = {0};
    rest_form_add(&s->rest, &form, "name", name);
    rest_form_add(&s->rest, &form, "datatype", "event");
    if ((rc = write_call(s, "POST", INDEXES, &form, &status)) == 0)
        report(s, status != 409, "index %s: %s", name, status == 409 ? "exists" : "created");
    return rc;
}

int step_hec(struct setup *s)
{
    const char *ssl = s->conf->hec_ssl ? "1" : "0", *path = HEC "/http";
    struct json *answer;
    long status;
    int rc = rest_call(&s->rest, "GET", path, NULL, &status, &answer);
    const struct json *have = rc ? NULL : content(s, path, status, answer);
    if (!have) {
        json_free(answer);
        return rc ? rc : 1;
    }
    char was_disabled[32], was_ssl[32];
    snprintf(was_disabled, sizeof was_disabled, "%s", field(have, "disabled"));
    snprintf(was_ssl, sizeof was_ssl, "%s", field(have, "enableSSL"));
    json_free(answer);
    if (!strcmp(was_disabled, "0") && !strcmp(was_ssl, ssl)) {
        report(s, 0, "HEC: enabled, SSL %s", s->conf->hec_ssl ? "on" : "off");
        return 0;
    }
    struct strbuf form = {0};
    rest_form_add(&s->rest, &form, "disabled", "0");
    rest_form_add(&s->rest, &form, "enableSSL", ssl);
    if ((rc = write_call(s, "POST", path, &form, NULL)) == 0) {
        char d[LOG_ESCAPED_SIZE(32)], e[LOG_ESCAPED_SIZE(32)];
        report(s, 1, "HEC: enabled, SSL %s (was disabled=%s, enableSSL=%s)", s->conf->hec_ssl ? "on" : "off",
               log_escape(d, sizeof d, was_disabled), log_escape(e, sizeof e, was_ssl));
    }
    return rc;
}

/* The token's indexes as Splunk holds them (a list, or a comma text) equal
 * the configured ones, in any order. */
static int same_indexes(const struct json *have, char *const *want)
{
    char **list = NULL;
    if (have && have->type == JSON_ARRAY) {
        struct strbuf joined = {0};
        for (size_t i = 0; i < have->n; i++)
            strbuf_addf(&joined, "%s,", json_text(have->items[i]) ? json_text(have->items[i]) : "");
        list = list_split(joined.data ? joined.data : "", ',');
        strbuf_free(&joined);
    } else {
        list = list_split(json_text(have) ? json_text(have) : "", ',');
    }
    int same = list_len(list) == list_len(want);
    for (size_t i = 0; same && want[i]; i++)
        same = list_contains(list, want[i]);
    for (size_t i = 0; same && list[i]; i++)
        same = list_contains(want, list[i]);
    list_free(list);
    return same;
}

/* The token's settings but its value, as a form. */
static void token_form(struct setup *s, struct strbuf *form)
{
    rest_form_add(&s->rest, form, "index", s->conf->hec_index);
    rest_form_add(&s->rest, form, "indexes", s->conf->indexes_joined);
    rest_form_add(&s->rest, form, "useACK", "0");
    rest_form_add(&s->rest, form, "disabled", "0");
}

static int create_token(struct setup *s)
{
    struct strbuf form = {0};
    rest_form_add(&s->rest, &form, "name", s->conf->token_name);
    rest_form_add(&s->rest, &form, "token", s->conf->token);
    token_form(s, &form);
    return write_call(s, "POST", HEC, &form, NULL);
}

/* The names of the settings that differ, "a, b", in differ (cap bytes). */
static void token_differences(struct setup *s, const struct json *have, char *differ, size_t cap)
{
    const char *index = s->conf->hec_index;
    struct { const char *key; int same; } checks[] = {
        {"index", !strcmp(field(have, "index"), index)},
        {"indexes", same_indexes(json_get(have, "indexes"), s->conf->indexes)},
        {"useACK", !strcmp(field(have, "useACK"), "0")},
        {"disabled", !strcmp(field(have, "disabled"), "0")},
    };
    size_t n = 0;
    differ[0] = '\0';
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++)
        if (!checks[i].same && n < cap)
            n += (size_t)snprintf(differ + n, cap - n, "%s%s", n ? ", " : "", checks[i].key);
}

/* An existing token (have): corrected in place, or replaced when its value
 * is not the secret's (Splunk does not change a value in place). */
static int correct_token(struct setup *s, const char *path, const struct json *have)
{
    const char *name = s->conf->token_name;
    char differ[64];
    int rc;
    if (strcmp(field(have, "token"), s->conf->token)) {
        if ((rc = write_call(s, "DELETE", path, NULL, NULL)) == 0 && (rc = create_token(s)) == 0)
            report(s, 1, "HEC token %s: replaced (its value was not the secret's)", name);
        return rc;
    }
    token_differences(s, have, differ, sizeof differ);
    if (!differ[0]) {
        report(s, 0, "HEC token %s: as configured", name);
        return 0;
    }
    struct strbuf form = {0};
    token_form(s, &form);
    if ((rc = write_call(s, "POST", path, &form, NULL)) == 0)
        report(s, 1, "HEC token %s: updated %s", name, differ);
    return rc;
}

int step_token(struct setup *s)
{
    char *path = object_path(s, HEC, s->conf->token_name);
    struct json *answer;
    long status;
    int rc = rest_call(&s->rest, "GET", path, NULL, &status, &answer);
    if (!rc && status == 200) {
        const struct json *have = content(s, path, status, answer);
        rc = have ? correct_token(s, path, have) : 1;
    } else if (!rc && (rc = create_token(s)) == 0) {
        report(s, 1, "HEC token %s: created (indexes %s, acknowledgement off)", s->conf->token_name,
               s->conf->indexes_joined);
    }
    json_free(answer);
    free(path);
    return rc;
}

int step_truncate(struct setup *s)
{
    const char *st = s->conf->sourcetype;
    char *path = object_path(s, PROPS, st), limit[16], have[LOG_ESCAPED_SIZE(32)];
    snprintf(limit, sizeof limit, "%u", s->conf->truncate);
    struct json *answer;
    long status;
    int rc = rest_call(&s->rest, "GET", path, NULL, &status, &answer);
    const struct json *c = rc || status == 404 ? NULL : content(s, path, status, answer);
    if (c)
        log_escape(have, sizeof have, field(c, "TRUNCATE"));
    json_free(answer);
    struct strbuf form = {0};
    if (!rc && status == 404) {
        rest_form_add(&s->rest, &form, "name", st);
        rest_form_add(&s->rest, &form, "TRUNCATE", limit);
        if ((rc = write_call(s, "POST", PROPS, &form, NULL)) == 0)
            report(s, 1, "props [%s] TRUNCATE: %s (stanza created)", st, limit);
    } else if (!rc && c && !strcmp(have, limit)) {
        report(s, 0, "props [%s] TRUNCATE: %s", st, limit);
    } else if (!rc && c) {
        rest_form_add(&s->rest, &form, "TRUNCATE", limit);
        if ((rc = write_call(s, "POST", path, &form, NULL)) == 0)
            report(s, 1, "props [%s] TRUNCATE: %s (was %s)", st, limit, have[0] ? have : "the default, 10000");
    } else if (!rc) {
        rc = 1;
    }
    free(path);
    return rc;
}
