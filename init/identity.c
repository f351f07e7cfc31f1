/* identity.c: users, groups and supplementary groups (see identity.h). */
#include "identity.h"

#include "log.h"
#include "strbuf.h"

#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUPS_MAX 65536

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vformat(err, cap, fmt, ap); /* redacted whole, then cut */
    va_end(ap);
    return -1;
}

enum id_form { ID_NAME, ID_NUMBER, ID_BAD };

/* A name, a number in range (into *out), or what looks like a number but
 * is none: signed, or too large. Only all-digit values are numbers, so
 * that no value wraps around to root. */
static enum id_form classify(const char *s, unsigned long *out)
{
    size_t digits = strspn(s, "0123456789");
    if ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))
        return ID_BAD;
    if (digits == 0 || s[digits])
        return ID_NAME;
    if (digits > 10 || strtoul(s, NULL, 10) > IDENTITY_ID_MAX)
        return ID_BAD;
    *out = strtoul(s, NULL, 10);
    return ID_NUMBER;
}

int identity_set_group(struct identity *id, const char *key, const char *v, char *err, size_t cap)
{
    unsigned long gid = 0;
    switch (classify(v, &gid)) {
    case ID_BAD:
        return fail(err, cap, "%s: %s is not a valid GID (0 to %lu)", key, v, IDENTITY_ID_MAX);
    case ID_NAME: {
        struct group *gr = getgrnam(v);
        if (!gr)
            return fail(err, cap, "unknown group '%s' (not in /etc/group)", v);
        gid = gr->gr_gid;
        break;
    }
    case ID_NUMBER: break;
    }
    id->gid = (gid_t)gid;
    id->has_group = 1;
    return 0;
}

int identity_set_user(struct identity *id, const char *key, const char *v, char *err, size_t cap)
{
    char user[256];
    size_t n = strcspn(v, ":");
    snprintf(user, sizeof user, "%.*s", (int)n, v);
    unsigned long uid = 0;
    struct passwd *pw = NULL;
    switch (classify(user, &uid)) {
    case ID_BAD:
        return fail(err, cap, "%s: %s is not a valid UID (0 to %lu)", key, user, IDENTITY_ID_MAX);
    case ID_NAME:
        if (!(pw = getpwnam(user)))
            return fail(err, cap, "unknown user '%s' (not in /etc/passwd)", user);
        uid = pw->pw_uid;
        break;
    case ID_NUMBER: pw = getpwuid((uid_t)uid); break;
    }
    id->uid = (uid_t)uid;
    id->has_user = 1;
    free(id->name);
    id->name = pw ? xstrdup(pw->pw_name) : NULL;
    id->pw_gid = pw ? pw->pw_gid : 0;
    return v[n] == ':' ? identity_set_group(id, key, v + n + 1, err, cap) : 0;
}

/* The groups /etc/group gives the user, its primary group among them. */
static int user_groups(struct identity *id)
{
    int n = 16;
    for (;;) {
        gid_t *g = xmalloc((size_t)n * sizeof *g);
        int want = n;
        if (getgrouplist(id->name, id->gid, g, &want) >= 0) {
            id->groups = g;
            id->ngroups = (size_t)want;
            return 0;
        }
        free(g);
        want = want > n ? want : 2 * n; /* not every libc says how many */
        if (want > GROUPS_MAX)
            return -1;
        n = want;
    }
}

int identity_finish(struct identity *id, char *err, size_t cap)
{
    free(id->groups);
    id->groups = NULL;
    id->ngroups = 0;
    if (id->has_user && !id->has_group) {
        if (!id->name)
            return fail(err, cap, "UID %lu has no entry in /etc/passwd to take a group from",
                        (unsigned long)id->uid);
        id->gid = id->pw_gid;
        id->has_group = 1;
    }
    if (!id->has_group)
        return 0;
    if (id->has_user && id->name) {
        if (user_groups(id) < 0)
            return fail(err, cap, "user %s is in more than %d groups", id->name, GROUPS_MAX);
        return 0;
    }
    id->groups = xmalloc(sizeof *id->groups);
    id->groups[0] = id->gid;
    id->ngroups = 1;
    return 0;
}

int identity_same(const struct identity *a, const struct identity *b)
{
    return a->has_user == b->has_user && a->has_group == b->has_group &&
           (!a->has_user || a->uid == b->uid) && (!a->has_group || a->gid == b->gid) &&
           a->ngroups == b->ngroups &&
           (a->ngroups == 0 || memcmp(a->groups, b->groups, a->ngroups * sizeof *a->groups) == 0);
}

void identity_copy(struct identity *dst, const struct identity *src)
{
    *dst = *src;
    dst->name = src->name ? xstrdup(src->name) : NULL;
    dst->groups = NULL;
    if (src->ngroups) {
        dst->groups = xmalloc(src->ngroups * sizeof *dst->groups);
        memcpy(dst->groups, src->groups, src->ngroups * sizeof *dst->groups);
    }
}

void identity_free(struct identity *id)
{
    free(id->name);
    free(id->groups);
    id->name = NULL;
    id->groups = NULL;
    id->ngroups = 0;
}

int identity_apply(const struct identity *id, const char **what)
{
    if (!id->has_user && !id->has_group)
        return 0;
    if (geteuid() == 0 && setgroups(id->ngroups, id->groups) < 0)
        return *what = "set supplementary groups", -1;
    if (id->has_group && setgid(id->gid) < 0)
        return *what = "set group", -1;
    if (id->has_user && setuid(id->uid) < 0)
        return *what = "set user", -1;
    return 0;
}
