/* site.c: mockpacs settings from the environment (see site.h). */
#include "site.h"

#include "envconf.h"

#include "rng.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char **environ;

/* MOCK_SITE = "Main CT:CT:3:15;Main MR:MR:2:4" (name:modality:devices:per hour) */
static int parse_services(struct site *s, const char *text, char *err, size_t cap)
{
    char *copy = strdup(text), *save = NULL;
    s->nservices = 0;
    for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char name[64], mod[8];
        unsigned devices;
        double rate;
        if (s->nservices == SITE_MAX_SERVICES ||
            sscanf(item, " %63[^:]:%7[^:]:%u:%lf", name, mod, &devices, &rate) != 4 ||
            devices == 0 || rate < 0) {
            free(copy);
            return envconf_fail(err, cap, "MOCK_SITE: expected 'name:modality:devices:studies per hour;...', got '%s'", item);
        }
        if (strcmp(mod, "CT") && strcmp(mod, "MR") && strcmp(mod, "CR") && strcmp(mod, "DX")) {
            free(copy);
            return envconf_fail(err, cap, "MOCK_SITE: modality '%s' is not CT, MR, CR or DX", mod);
        }
        struct service *sv = &s->services[s->nservices++];
        snprintf(sv->name, sizeof sv->name, "%.47s", name);
        snprintf(sv->modality, sizeof sv->modality, "%.3s", mod);
        sv->devices = devices;
        sv->per_hour = rate;
    }
    free(copy);
    return s->nservices ? 0 : envconf_fail(err, cap, "MOCK_SITE: no service");
}

/* MOD_<NAME>=AET,host,port: C-MOVE destinations (the seed's convention). */
static int parse_destinations(struct site *s, char *err, size_t cap)
{
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "MOD_", 4) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        struct destination *d = &s->dests[s->ndests];
        if (!eq || s->ndests == SITE_MAX_DESTS)
            continue;
        snprintf(d->name, sizeof d->name, "%.*s", (int)(eq - *e - 4), *e + 4);
        char aet[64];
        if (sscanf(eq + 1, "%63[^,],%127[^,],%u", aet, d->host, &d->port) != 3 || !d->port ||
            d->port > 65535 || strlen(aet) > 16)
            return envconf_fail(err, cap, "MOD_%s: expected 'AET,host,port'", d->name);
        snprintf(d->aet, sizeof d->aet, "%.16s", aet); /* length checked above */
        s->ndests++;
    }
    return 0;
}

static int parse_date(const char *name, const char *v, uint32_t *out, char *err, size_t cap)
{
    unsigned y, m, d;
    if (strlen(v) != 8 || sscanf(v, "%4u%2u%2u", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return envconf_fail(err, cap, "%s: expected a date YYYYMMDD, got '%s'", name, v);
    *out = y * 10000 + m * 100 + d;
    return 0;
}

int site_load(struct site *s, char *err, size_t cap)
{
    unsigned long long n;
    memset(s, 0, sizeof *s);
    if (envconf_number("MOCK_SEED", "1", 0, ~0ull, &n, err, cap) < 0)
        return -1;
    s->seed = n;
    snprintf(s->institution, sizeof s->institution, "%s", envconf_get("MOCK_INSTITUTION", "Mock General Hospital"));
    char root[40];
    snprintf(root, sizeof root, "2.25.%llu", (unsigned long long)(rng_hash(s->seed, 7, 7, 7) >> 1));
    snprintf(s->uid_root, sizeof s->uid_root, "%s", envconf_get("MOCK_UID_ROOT", root));
    for (const char *p = s->uid_root; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return envconf_fail(err, cap, "MOCK_UID_ROOT: digits and dots only");
    if (envconf_number("MOCK_STUDIES", "1000", 0, 2000000, &n, err, cap) < 0)
        return -1;
    s->studies = (uint32_t)n;
    if (envconf_number("MOCK_PATIENTS", "0", 0, 2000000, &n, err, cap) < 0)
        return -1;
    s->patients = n ? (uint32_t)n : (s->studies / 3 + 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char today[32];
    snprintf(today, sizeof today, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (parse_date("MOCK_END_DATE", envconf_get("MOCK_END_DATE", today), &s->end_date, err, cap) < 0)
        return -1;
    if (envconf_number("MOCK_HISTORY_DAYS", "365", 1, 36500, &n, err, cap) < 0)
        return -1;
    s->history_days = (unsigned)n;
    if (envconf_number("MOCK_CT_SLICES", "40", 1, 5000, &n, err, cap) < 0)
        return -1;
    s->ct_slices = (unsigned)n;
    if (envconf_number("MOCK_MR_SLICES", "20", 1, 1000, &n, err, cap) < 0)
        return -1;
    s->mr_slices = (unsigned)n;
    const char *px = envconf_get("MOCK_PIXELS", "synthetic");
    if (strcmp(px, "synthetic") && strcmp(px, "none"))
        return envconf_fail(err, cap, "MOCK_PIXELS: expected 'synthetic' or 'none', got '%s'", px);
    s->pixels = strcmp(px, "synthetic") == 0;
    if (parse_services(s, envconf_get("MOCK_SITE", "Main CT:CT:3:15;Main MR:MR:2:4;Main CR:CR:2:10"), err, cap) < 0 ||
        parse_destinations(s, err, cap) < 0)
        return -1;
    snprintf(s->aet, sizeof s->aet, "%s", envconf_get("MOCK_AET", "MOCK"));
    if (strlen(envconf_get("MOCK_AET", "MOCK")) > 16)
        return envconf_fail(err, cap, "MOCK_AET: at most 16 characters");
    if (envconf_number("MOCK_PORT", "7272", 1, 65535, &n, err, cap) < 0)
        return -1;
    s->port = (unsigned)n;
    if (envconf_number("MOCK_HTTP_PORT", "8080", 0, 65535, &n, err, cap) < 0)
        return -1;
    s->http_port = (unsigned)n;
    if (envconf_number("MOCK_MAX_ASSOCIATIONS", "16", 1, 1000, &n, err, cap) < 0)
        return -1;
    s->max_associations = (unsigned)n;
    snprintf(s->allowed, sizeof s->allowed, "%s", envconf_get("MOCK_ALLOW", ""));
    snprintf(s->store_dir, sizeof s->store_dir, "%s", envconf_get("MOCK_STORE_DIR", "/var/lib/mockpacs"));
    snprintf(s->push_dest, sizeof s->push_dest, "%s", envconf_get("MOCK_PUSH", ""));
    if (*s->push_dest && !site_destination(s, s->push_dest))
        return envconf_fail(err, cap, "MOCK_PUSH: no destination MOD_%s", s->push_dest);
    char *end;
    s->push_speedup = strtod(envconf_get("MOCK_PUSH_SPEEDUP", "1"), &end);
    if (*end || s->push_speedup <= 0 || s->push_speedup > 1e6)
        return envconf_fail(err, cap, "MOCK_PUSH_SPEEDUP: expected a positive number");
    if (envconf_number("MOCK_PUSH_LIMIT", "0", 0, 10000000, &n, err, cap) < 0)
        return -1;
    s->push_limit = (uint32_t)n;
    return 0;
}

const struct destination *site_destination(const struct site *s, const char *aet_or_name)
{
    for (unsigned i = 0; i < s->ndests; i++)
        if (strcmp(s->dests[i].aet, aet_or_name) == 0 || strcmp(s->dests[i].name, aet_or_name) == 0)
            return &s->dests[i];
    return NULL;
}
