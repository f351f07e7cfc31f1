/* anonconf.h: cirr-anon's settings, from its environment table (the flags
 * set the same variables before it is read). */
#ifndef CIRR_PULL_ANONCONF_H
#define CIRR_PULL_ANONCONF_H

#include "anon/anon.h"

#include <stdio.h>

struct anon_conf {
    const char *key_file;
    int retain_dates, retain_patient_chars, retain_device, clean_descriptors;
    int retain_uids, clean_structured_content;
    const char *safelist_file;  /* descriptions kept by Clean Descriptors, one a line */
    const char *keep_private;   /* GGGG,EE,CREATOR;... */
    const char *allow_classes;  /* SOP class UIDs, comma-separated */
    unsigned verbose;
    unsigned jobs;              /* threads; 0 = one a processor */
    /* Derived: what lib/anon takes. */
    struct anon_key key;
    struct anon_options options;
    char **safelist, **classes;
    struct anon_private_keep *private_keep;
};

/* Load and check everything (the key file included): 0, or -1 with one
 * line in err naming the variable or file at fault. */
int anon_conf_load(struct anon_conf *c, char *err, size_t cap);
void anon_conf_free(struct anon_conf *c);
void anon_conf_help(FILE *out);

#endif
