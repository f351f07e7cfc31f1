/* site.h: what mockpacs simulates, read from the environment (README:
 * "mockpacs"). Everything the generator does follows from these values. */
#ifndef MOCK_SITE_H
#define MOCK_SITE_H

#include "cirr_dicom_scp_env.h"
#include "modality.h"
#include "peer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SITE_MAX_SERVICES 16
#define SITE_MAX_DESTS 32

struct service {
    char name[48];                     /* e.g. "Main CT" */
    const struct modality *modality;   /* its row of the modality table */
    unsigned devices;                  /* scanners */
    double per_hour;                   /* new studies per hour (push mode; weights history) */
};

struct site {
    uint64_t seed;
    char institution[64];
    char uid_root[40];
    uint32_t studies;       /* size of the history index */
    uint32_t patients;      /* size of the patient pool */
    uint32_t end_date;      /* YYYYMMDD: the history ends that day */
    unsigned history_days;
    unsigned ct_slices, mr_slices;
    int pixels;             /* 1 synthetic pixel data, 0 header only */
    int dose_reports;       /* 1: CT studies end with a dose report series (dose.h) */
    unsigned max_answers;   /* C-FIND answers at most (0: no cap) */
    uint32_t burned_in;     /* every Nth study ends with a screen capture series (0: none) */
    struct service services[SITE_MAX_SERVICES];
    unsigned nservices;
    struct peer dests[SITE_MAX_DESTS]; /* MOD_<NAME>: C-MOVE and push destinations */
    unsigned ndests;
    /* SCP */
    char aet[17];
    unsigned port, http_port, max_associations;
    const char *allowed;    /* MOCK_ALLOW: comma list, empty = any */
    const char *store_dir;
    struct cirr_dicom_scp_env limits; /* MOCK_IDLE_TIMEOUT ... MOCK_MAX_NESTING: against hostile peers */
    /* push mode */
    const char *push_dest;  /* a destination name, or empty */
    double push_speedup;    /* simulated hours per real hour */
    uint32_t push_limit;    /* studies to push, 0 = no limit */
    /* settings as written, for the parsers that follow the table */
    struct {
        const char *institution, *uid_root, *end_date, *pixels, *site, *push_speedup;
    } text;
};

/* Read the environment; 0, or -1 with one line in err naming the variable. */
int site_load(struct site *s, char *err, size_t cap);

/* The "Environment" part of --help: every variable, its default and meaning. */
void site_help(FILE *out);

/* The destination with this AE title or MOD_ name, or NULL. */
const struct peer *site_destination(const struct site *s, const char *aet_or_name);

#endif
