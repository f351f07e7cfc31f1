/* site.c: mockpacs settings from the environment (see site.h): one table
 * read by envconf_load, then the parsers of the settings that are more
 * than a number or a text (services, dates, UID root, destinations). */
#include "site.h"

#include "envconf.h"
#include "rng.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N(a) (sizeof(a) / sizeof *(a))
#define S struct site

static const struct envconf_var settings[] = {
    ENVCONF_TXT("MOCK_AET", "MOCK", 16, S, aet, "AE title"),
    ENVCONF_NUM("MOCK_PORT", "7272", 1, 65535, S, port, "DICOM port"),
    ENVCONF_NUM("MOCK_HTTP_PORT", "8080", 0, 65535, S, http_port, "status page port (0: none)"),
    ENVCONF_STR("MOCK_ALLOW", "", S, allowed, "calling AE titles allowed, comma list (empty: any)"),
    ENVCONF_NUM("MOCK_MAX_ASSOCIATIONS", "16", 1, 1000, S, max_associations, "concurrent associations"),
    CIRR_DICOM_SCP_ENV("MOCK", S, limits),
    ENVCONF_NUM("MOCK_SEED", "1", 0, ULLONG_MAX, S, seed, "the catalog's seed"),
    ENVCONF_NUM("MOCK_STUDIES", "1000", 0, 2000000, S, studies, "studies in the history index"),
    ENVCONF_NUM("MOCK_PATIENTS", "0", 0, 2000000, S, patients, "patient pool (0: a third of the studies)"),
    ENVCONF_STR("MOCK_END_DATE", "", S, text.end_date,
                "last day of the history, YYYYMMDD (empty: today, UTC; set it for repeatable runs)"),
    ENVCONF_NUM("MOCK_HISTORY_DAYS", "365", 1, 36500, S, history_days, "length of the history in days"),
    ENVCONF_STR("MOCK_SITE", "Main CT:CT:3:15;Main MR:MR:2:4;Main CR:CR:2:10", S, text.site,
                "services: 'name:modality:devices:studies per hour;...' (modality CT, MR, CR or DX)"),
    ENVCONF_NUM("MOCK_CT_SLICES", "40", 1, 5000, S, ct_slices, "images per CT axial series"),
    ENVCONF_NUM("MOCK_MR_SLICES", "20", 1, 1000, S, mr_slices, "images per MR series"),
    ENVCONF_STR("MOCK_PIXELS", "synthetic", S, text.pixels,
                "'synthetic' pixel data, or 'none': header only (faster; not valid IODs)"),
    ENVCONF_STR("MOCK_INSTITUTION", "Mock General Hospital", S, text.institution, "InstitutionName"),
    ENVCONF_STR("MOCK_UID_ROOT", "", S, text.uid_root,
                "UID root, digits and dots (empty: 2.25.<a number derived from the seed>)"),
    ENVCONF_STR("MOCK_PUSH", "", S, push_dest, "push mode: send new studies to this MOD_<NAME> (empty: off)"),
    ENVCONF_STR("MOCK_PUSH_SPEEDUP", "1", S, text.push_speedup, "push mode: simulated hours per real hour"),
    ENVCONF_NUM("MOCK_PUSH_LIMIT", "0", 0, 10000000, S, push_limit, "push mode: stop after N studies (0: never)"),
    ENVCONF_STR("MOCK_STORE_DIR", "/var/lib/mockpacs", S, store_dir, "where received instances are kept"),
    ENVCONF_BOOL("MOCK_DOSE_REPORTS", "false", S, dose_reports,
                 "each CT study gets a CT Radiation Dose SR (TID 10011) as its last series"),
    ENVCONF_NUM("MOCK_MAX_ANSWERS", "0", 0, 10000000, S, max_answers,
                "C-FIND answers at most, the rest silently left out, as PACSes do (0: no cap)"),
    ENVCONF_NUM("MOCK_BURNED_IN", "0", 0, 2000000, S, burned_in,
                "every Nth study (accession number a multiple of N) ends with a secondary capture series "
                "whose image has burned-in annotation (0: none)"),
};

void site_help(FILE *out)
{
    envconf_help(out, settings, N(settings));
    fprintf(out, "  MOD_<NAME>\n      a C-MOVE and push destination, 'AET,host,port' (at most 32)\n");
}

#define SITE_FORM "name:modality:devices:studies per hour;..."

/* One service, "name:modality:devices:per hour". */
static int parse_service(struct service *sv, const char *item, char *err, size_t cap)
{
    char name[64], mod[8];
    if (sscanf(item, " %63[^:]:%7[^:]:%u:%lf", name, mod, &sv->devices, &sv->per_hour) != 4 ||
        sv->devices == 0 || sv->per_hour < 0)
        return envconf_fail(err, cap, "MOCK_SITE: expected '%s', got '%s'", SITE_FORM, item);
    if (!(sv->modality = modality_find(mod)))
        return envconf_fail(err, cap, "MOCK_SITE: modality '%s' is not %s", mod, modality_codes());
    snprintf(sv->name, sizeof sv->name, "%.47s", name);
    return 0;
}

/* MOCK_SITE = "Main CT:CT:3:15;Main MR:MR:2:4" */
static int parse_services(struct site *s, char *err, size_t cap)
{
    char *copy = strdup(s->text.site), *save = NULL;
    if (!copy)
        return envconf_fail(err, cap, "MOCK_SITE: out of memory");
    int rc = 0;
    for (char *item = strtok_r(copy, ";", &save); item && rc == 0; item = strtok_r(NULL, ";", &save)) {
        if (s->nservices == SITE_MAX_SERVICES)
            rc = envconf_fail(err, cap, "MOCK_SITE: expected '%s', got '%s'", SITE_FORM, item);
        else if ((rc = parse_service(&s->services[s->nservices], item, err, cap)) == 0)
            s->nservices++;
    }
    free(copy);
    return rc < 0 ? -1 : s->nservices ? 0 : envconf_fail(err, cap, "MOCK_SITE: no service");
}

struct dest_ctx {
    struct site *s;
    char *err;
    size_t cap;
};

/* MOD_<NAME>=AET,host,port (the seed's convention). Any name the
 * environment holds is taken as it is, as always: peer_parse checks the
 * value (under a stand-in name), and the first SITE_MAX_DESTS count. */
static int add_destination(const char *var, const char *name, const char *value, void *ud)
{
    struct dest_ctx *x = ud;
    if (x->s->ndests == SITE_MAX_DESTS)
        return 0;
    struct peer *d = &x->s->dests[x->s->ndests];
    if (peer_parse(var, "MOD", value, d, x->err, x->cap) < 0)
        return -1;
    snprintf(d->name, sizeof d->name, "%s", name);
    x->s->ndests++;
    return 0;
}

static int parse_destinations(struct site *s, char *err, size_t cap)
{
    struct dest_ctx x = {s, err, cap};
    *err = '\0';
    if (peer_each_env("MOD_", NULL, add_destination, &x) < 0)
        return *err ? -1 : envconf_fail(err, cap, "MOD_<NAME>: out of memory");
    return 0;
}

static int parse_end_date(struct site *s, char *err, size_t cap)
{
    char today[32];
    const char *v = s->text.end_date;
    if (!*v) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(today, sizeof today, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        v = today;
    }
    unsigned y, m, d;
    if (strlen(v) != 8 || sscanf(v, "%4u%2u%2u", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return envconf_fail(err, cap, "MOCK_END_DATE: expected a date YYYYMMDD, got '%s'", v);
    s->end_date = y * 10000 + m * 100 + d;
    return 0;
}

static int parse_uid_root(struct site *s, char *err, size_t cap)
{
    if (*s->text.uid_root)
        snprintf(s->uid_root, sizeof s->uid_root, "%s", s->text.uid_root);
    else
        snprintf(s->uid_root, sizeof s->uid_root, "2.25.%llu", (unsigned long long)(rng_hash(s->seed, 7, 7, 7) >> 1));
    for (const char *p = s->uid_root; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return envconf_fail(err, cap, "MOCK_UID_ROOT: digits and dots only");
    return 0;
}

static int parse_pixels(struct site *s, char *err, size_t cap)
{
    const char *px = s->text.pixels;
    if (strcmp(px, "synthetic") && strcmp(px, "none"))
        return envconf_fail(err, cap, "MOCK_PIXELS: expected 'synthetic' or 'none', got '%s'", px);
    s->pixels = strcmp(px, "synthetic") == 0;
    return 0;
}

static int parse_push(struct site *s, char *err, size_t cap)
{
    if (*s->push_dest && !site_destination(s, s->push_dest))
        return envconf_fail(err, cap, "MOCK_PUSH: no destination MOD_%s", s->push_dest);
    char *end;
    s->push_speedup = strtod(s->text.push_speedup, &end);
    if (*end || s->push_speedup <= 0 || s->push_speedup > 1e6)
        return envconf_fail(err, cap, "MOCK_PUSH_SPEEDUP: expected a positive number");
    return 0;
}

int site_load(struct site *s, char *err, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (envconf_load(settings, N(settings), s, err, cap) < 0 || parse_uid_root(s, err, cap) < 0 ||
        parse_end_date(s, err, cap) < 0 || parse_pixels(s, err, cap) < 0 || parse_services(s, err, cap) < 0 ||
        parse_destinations(s, err, cap) < 0 || parse_push(s, err, cap) < 0)
        return -1;
    snprintf(s->institution, sizeof s->institution, "%s", s->text.institution); /* cut to fit, as always */
    if (!s->patients)
        s->patients = s->studies / 3 + 1;
    return 0;
}

const struct peer *site_destination(const struct site *s, const char *aet_or_name)
{
    for (unsigned i = 0; i < s->ndests; i++)
        if (strcmp(s->dests[i].aet, aet_or_name) == 0 || strcmp(s->dests[i].name, aet_or_name) == 0)
            return &s->dests[i];
    return NULL;
}
