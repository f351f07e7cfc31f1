/* peer.h: DICOM peers named in the environment in the seed's form,
 * NAME=AET,host,port (MOD_PACS, MUX_DEST_ARCHIVE, ...). */
#ifndef CIRR_PEER_H
#define CIRR_PEER_H

#include <stddef.h>

struct peer {
    char name[32];  /* the part of the variable's name after its prefix */
    char aet[17];   /* 1 to 16 characters */
    char host[128];
    unsigned port;  /* 1 to 65535 */
};

/* Parse value ("AET,host,port") of variable var into *out, whose name is
 * set to name (letters, digits, '_' and '-', at most 31). 0, or -1 with
 * one line in err naming var and what is wrong with it. */
int peer_parse(const char *var, const char *name, const char *value, struct peer *out, char *err,
               size_t cap);

/* For every variable PREFIX<NAME>=value in the environment, in the
 * environment's order, call fn(var, name, value, ud); names for which
 * skip(name) returns 1 are passed over (skip may be NULL). Stops at the
 * first fn that returns -1 and returns -1 (also, errno ENOMEM, when memory
 * runs out); 0 when all were taken. */
int peer_each_env(const char *prefix, int (*skip)(const char *name),
                  int (*fn)(const char *var, const char *name, const char *value, void *ud), void *ud);

#endif
