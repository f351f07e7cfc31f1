/* watchconf.h: cirr-watcher's settings, from the environment, and its
 * routes (doc/watcher.md, "Routes"). */
#ifndef WATCH_CONF_H
#define WATCH_CONF_H

#include "peer.h"

#include <stddef.h>
#include <stdio.h>

#define WATCH_MAX_ROUTES 16

enum source_kind { SOURCE_ORTHANC_INSTANCES, SOURCE_ORTHANC_SERIES, SOURCE_ORTHANC_STUDIES, SOURCE_PACS, SOURCE_FOLDER };

/* One route: source -> (filter) -> index. */
struct route {
    char name[32];           /* letters, digits, '_' and '-': also its cursor's name */
    enum source_kind source;
    char filter_key[64];     /* a DICOM keyword, or "" for no filter */
    char **filter_values;    /* the values it may have (list_split of V1|V2), NULL for none */
    char index[64];          /* Splunk index and PostgreSQL table: [a-z0-9_]; "" for an upload */
    char folder[256];        /* SOURCE_FOLDER: the folder watched (its sink: Orthanc) */
};

struct watch_conf {
    /* from the table (watchconf.c) */
    unsigned http_port;
    char state[256];
    const char *routes_text, *routes_file;
    const char *orthanc_url, *orthanc_user;
    unsigned poll_ms, page, parallel;
    const char *orthanc_tags;    /* "full" or "main" */
    int orthanc_main_tags;       /* orthanc_tags is "main" */
    const char *hec_url, *hec_ca, *hec_host, *hec_sourcetype;
    int hec_ack, hec_insecure;
    unsigned batch_events, batch_kb, ack_timeout_s;
    const char *pg;
    unsigned long long outbox_mb;
    unsigned retry_base_ms, retry_max_ms, http_timeout_s;
    char aet[17];
    const char *pacs;
    unsigned pacs_interval_s, pacs_lookback_min, pacs_overlap_min, pacs_max_answers;
    char upload_dir[200];
    unsigned upload_quiet_s;
    /* derived */
    struct peer pacs_peer;   /* when a route watches the PACS */
    struct route routes[WATCH_MAX_ROUTES];
    unsigned nroutes;
    /* secrets (secrets.c): malloc'd, never logged */
    char *hec_token, *orthanc_password, *pg_password;
};

/* Read and check everything; 0, or -1 with one line in err naming the
 * variable at fault. Free with watch_conf_free (also after a failure). */
int watch_conf_load(struct watch_conf *c, char *err, size_t cap);
void watch_conf_free(struct watch_conf *c);

/* The "Environment" part of --help. */
void watch_conf_help(FILE *out);

/* Parse one route: a name of the built-in routes or
 * "NAME: SOURCE [where KEYWORD=V1|V2] -> index:INDEX", or
 * "NAME: folder:PATH -> orthanc"; upload_dir is upload_files' folder.
 * 0, or -1 with err. */
int route_parse(const char *text, const char *upload_dir, struct route *out, char *err, size_t cap);
void route_free(struct route *r);

/* 1 when any route reads from the PACS; 1 when any route indexes. */
int watch_uses_pacs(const struct watch_conf *c);
int watch_indexes(const struct watch_conf *c);

#endif
