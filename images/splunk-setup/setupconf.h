/* setupconf.h: cirr-splunk-setup's settings, from the environment (one
 * table, also its --help), checked before Splunk is called, and its two
 * secrets (the admin password, the HEC token), masked in every log line. */
#ifndef SPLUNK_SETUPCONF_H
#define SPLUNK_SETUPCONF_H

#include <stdio.h>

struct setup_conf {
    /* from the table (setupconf.c) */
    const char *url, *user, *password_file, *ca, *indexes_text, *token_file, *hec_index_text;
    int insecure, hec_ssl;
    char token_name[65];
    char sourcetype[101];
    unsigned truncate, wait_s;
    /* derived */
    char **indexes;          /* SPLUNK_INDEXES, checked names (list.h) */
    char *indexes_joined;    /* the same joined by commas, no spaces */
    const char *hec_index;   /* SPLUNK_HEC_INDEX, or the first index */
    char *password, *token;  /* the secrets' values */
};

/* Fill c from the environment. 0, or -1 with one line in err naming the
 * variable at fault (never a secret's value). Installs the log redactor
 * of the secrets. */
int setup_conf_load(struct setup_conf *c, char *err, size_t cap);
void setup_conf_free(struct setup_conf *c);

/* The "Environment:" part of --help. */
void setup_conf_help(FILE *out);

#endif
