/* route.c: the route syntax (doc/watcher.md, "Routes"):
 *   NAME: SOURCE [where KEYWORD=V1|V2...] -> index:INDEX
 *   NAME: folder:PATH -> orthanc
 * SOURCE is orthanc:instances, orthanc:series, orthanc:studies or pacs; a
 * line that is only a name takes the built-in route of that name (DIANA's). */
#include "watchconf.h"

#include "envconf.h"
#include "list.h"

#include <ctype.h>
#include <string.h>

static const struct {
    const char *name, *text;
} builtin[] = {
    {"index_series", "index_series: orthanc:series -> index:dicom_series"},
    {"index_studies", "index_studies: orthanc:studies -> index:dicom_studies"},
    {"index_instances", "index_instances: orthanc:instances -> index:dicom_instances"},
    {"index_pacs", "index_pacs: pacs -> index:pacs_studies"},
    {"upload_files", "upload_files: folder: -> orthanc"}, /* the folder: WATCH_UPLOAD_DIR */
};

static const struct {
    const char *text;
    enum source_kind kind;
} sources[] = {
    {"orthanc:instances", SOURCE_ORTHANC_INSTANCES},
    {"orthanc:series", SOURCE_ORTHANC_SERIES},
    {"orthanc:studies", SOURCE_ORTHANC_STUDIES},
    {"pacs", SOURCE_PACS},
};

/* Copy the n bytes at s, spaces around them trimmed, into buf. */
static void trimmed(char *buf, size_t cap, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

static int word_ok(const char *w, const char *extra)
{
    if (!*w)
        return 0;
    for (; *w; w++)
        if (!isalnum((unsigned char)*w) && !strchr(extra, *w))
            return 0;
    return 1;
}

/* folder:PATH -> orthanc (PATH empty: upload_dir). */
static int parse_folder(const char *src, const char *sink, const char *upload_dir, struct route *r, char *err,
                        size_t cap)
{
    const char *path = src[7] ? src + 7 : upload_dir;
    if (strcmp(sink, "orthanc"))
        return envconf_fail(err, cap, "route %s: a folder's sink is 'orthanc'", r->name);
    if (path[0] != '/' || strlen(path) >= sizeof r->folder)
        return envconf_fail(err, cap, "route %s: the folder must be an absolute path", r->name);
    r->source = SOURCE_FOLDER;
    strcpy(r->folder, path);
    return 0;
}

static int parse_source(const char *text, struct route *r, char *err, size_t cap)
{
    char src[128];
    const char *where = strstr(text, " where ");
    trimmed(src, sizeof src, text, where ? (size_t)(where - text) : strlen(text));
    size_t i;
    for (i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (!strcmp(src, sources[i].text))
            break;
    if (i == sizeof sources / sizeof sources[0])
        return envconf_fail(err, cap, "route %s: unknown source '%s' (orthanc:instances, orthanc:series, "
                            "orthanc:studies or pacs)", r->name, src);
    r->source = sources[i].kind;
    if (!where)
        return 0;
    const char *eq = strchr(where, '=');
    if (!eq)
        return envconf_fail(err, cap, "route %s: expected 'where KEYWORD=VALUE'", r->name);
    trimmed(r->filter_key, sizeof r->filter_key, where + 7, (size_t)(eq - where - 7));
    if (!word_ok(r->filter_key, ""))
        return envconf_fail(err, cap, "route %s: '%s' is not a DICOM keyword", r->name, r->filter_key);
    r->filter_values = list_split(eq + 1, '|');
    if (!r->filter_values[0])
        return envconf_fail(err, cap, "route %s: no value after '%s='", r->name, r->filter_key);
    return 0;
}

static int parse_full(const char *text, const char *upload_dir, struct route *r, char *err, size_t cap)
{
    const char *colon = strchr(text, ':'), *arrow = strstr(text, "->");
    if (!colon || !arrow || colon > arrow)
        return envconf_fail(err, cap, "route '%.60s': expected NAME: SOURCE [where KEYWORD=VALUE] -> index:INDEX",
                            text);
    trimmed(r->name, sizeof r->name, text, (size_t)(colon - text));
    if (!word_ok(r->name, "_-"))
        return envconf_fail(err, cap, "route '%.60s': the name may hold letters, digits, '_' and '-'", text);
    char src[256], sink[128];
    trimmed(src, sizeof src, colon + 1, (size_t)(arrow - colon - 1));
    trimmed(sink, sizeof sink, arrow + 2, strlen(arrow + 2));
    if (!strncmp(src, "folder:", 7))
        return parse_folder(src, sink, upload_dir, r, err, cap);
    if (parse_source(src, r, err, cap) < 0)
        return -1;
    if (strncmp(sink, "index:", 6) || !word_ok(sink + 6, "_") || strlen(sink + 6) >= sizeof r->index)
        return envconf_fail(err, cap, "route %s: the sink must be index:INDEX (INDEX: a-z, 0-9, '_')", r->name);
    for (const char *p = sink + 6; *p; p++)
        if (isupper((unsigned char)*p))
            return envconf_fail(err, cap, "route %s: index names are lower case (Splunk's rule)", r->name);
    strcpy(r->index, sink + 6);
    return 0;
}

int route_parse(const char *text, const char *upload_dir, struct route *out, char *err, size_t cap)
{
    char name[64];
    memset(out, 0, sizeof *out);
    trimmed(name, sizeof name, text, strlen(text));
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (!strcmp(name, builtin[i].name))
            return parse_full(builtin[i].text, upload_dir, out, err, cap);
    if (!strchr(text, ':'))
        return envconf_fail(err, cap, "route '%.60s': not a built-in route (index_series, index_studies, "
                            "index_instances, index_pacs, upload_files) nor NAME: SOURCE -> index:INDEX", name);
    return parse_full(text, upload_dir, out, err, cap);
}

void route_free(struct route *r)
{
    list_free(r->filter_values);
    r->filter_values = NULL;
}
