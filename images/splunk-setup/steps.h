/* steps.h: the four things cirr-splunk-setup sees to (doc/splunk.md, "The
 * REST calls"). Each reads first and writes only what differs from the
 * configuration, then prints one line on stdout: what it found or did. */
#ifndef SPLUNK_STEPS_H
#define SPLUNK_STEPS_H

#include "rest.h"
#include "setupconf.h"

struct setup {
    const struct setup_conf *conf;
    struct rest rest;
    unsigned changes;        /* writes made so far */
};

/* Each returns 0, or the exit code with s->rest.err saying why. */
int step_index(struct setup *s, const char *name);  /* the index exists */
int step_hec(struct setup *s);                      /* HEC on, its SSL as configured */
int step_token(struct setup *s);                    /* the token: value, indexes, no acknowledgement */
int step_truncate(struct setup *s);                 /* props.conf TRUNCATE of the sourcetype */

#endif
