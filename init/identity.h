/* identity.h: who a process runs as: user, primary group and supplementary
 * groups, from the `user`, `group` and `probe-user` keys of the service
 * file; applied in the child between fork and exec.
 *
 * Ids are checked, never wrapped: a UID or GID is 0 to 4294967294
 * ((uid_t)-1 means "unchanged" to the kernel). A user without a group takes
 * its passwd entry's; a numeric user without a passwd entry must be given a
 * group. Supplementary groups are the user's own from /etc/group (as
 * Docker's USER, runuser and gosu set them), or none but the primary group
 * for a user without a passwd entry: never cirr-init's (root's). */
#ifndef CIRR_IDENTITY_H
#define CIRR_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>

#define IDENTITY_ID_MAX 4294967294UL

struct identity {
    int has_user, has_group;  /* set: change to it; else keep cirr-init's */
    uid_t uid;
    gid_t gid;
    int line;                 /* service-file line that named the user */
    char *name;               /* the uid's passwd name, or NULL (malloc'd) */
    gid_t pw_gid;             /* its passwd group, when name is set */
    gid_t *groups;            /* supplementary groups, from identity_finish */
    size_t ngroups;
};

/* user = NAME | UID, optionally :GROUP (NAME or GID). key names the setting
 * in error messages. Returns 0, or -1 with one line in err. */
int identity_set_user(struct identity *id, const char *key, const char *v, char *err, size_t cap);

/* group = NAME | GID. Returns 0, or -1 with one line in err. */
int identity_set_group(struct identity *id, const char *key, const char *v, char *err, size_t cap);

/* Once every key is read: the primary group (the passwd entry's unless one
 * was given) and the supplementary groups. Returns 0, or -1 with one line in
 * err when a numeric user has neither a passwd entry nor a group. */
int identity_finish(struct identity *id, char *err, size_t cap);

/* Nonzero when a and b run a process as the same user and groups. */
int identity_same(const struct identity *a, const struct identity *b);

/* dst becomes a copy of src (dst holds nothing yet). */
void identity_copy(struct identity *dst, const struct identity *src);

void identity_free(struct identity *id);

/* In a child, before exec: supplementary groups, group, then user (when
 * cirr-init is root; otherwise only what the kernel allows). Returns 0, or
 * -1 with errno set and *what naming the step that failed. */
int identity_apply(const struct identity *id, const char **what);

#endif
