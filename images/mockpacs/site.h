/* site.h: what mockpacs simulates, read from the environment (README:
 * "mockpacs"). Everything the generator does follows from these values. */
#ifndef MOCK_SITE_H
#define MOCK_SITE_H

#include <stddef.h>
#include <stdint.h>

#define SITE_MAX_SERVICES 16
#define SITE_MAX_DESTS 32

struct service {
    char name[48];       /* e.g. "Main CT" */
    char modality[4];    /* CT, MR or CR */
    unsigned devices;    /* scanners */
    double per_hour;     /* new studies per hour (push mode; weights history) */
};

struct destination {
    char name[32];       /* from MOD_<NAME> */
    char aet[17];
    char host[128];
    unsigned port;
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
    struct service services[SITE_MAX_SERVICES];
    unsigned nservices;
    struct destination dests[SITE_MAX_DESTS];
    unsigned ndests;
    /* SCP */
    char aet[17];
    unsigned port, http_port, max_associations;
    char allowed[512];      /* MOCK_ALLOW: comma list, empty = any */
    char store_dir[256];
    /* push mode */
    char push_dest[32];     /* a destination name, or empty */
    double push_speedup;    /* simulated hours per real hour */
    uint32_t push_limit;    /* studies to push, 0 = no limit */
};

/* Read the environment; 0, or -1 with one line in err naming the variable. */
int site_load(struct site *s, char *err, size_t cap);

const struct destination *site_destination(const struct site *s, const char *aet_or_name);

#endif
