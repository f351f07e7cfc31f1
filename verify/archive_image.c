/* archive_image.c: a docker-archive's blobs hashed against a manifest line. */
#include "archive_image.h"

#include "digest.h"
#include "envconf.h"
#include "json.h"
#include "log.h"
#include "strbuf.h"
#include "tarindex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARCHIVE_JSON_MAX (4u << 20)

struct archive {
    int fd;
    struct tar_index ix;
    char why[512];   /* what differs, for the one line */
    int system;      /* 1: a read failed rather than a difference */
    int missing;     /* 1: the archive does not exist */
};

/* What differs, into a->why (escaped when printed: it holds the archive's text). */
static int differs(struct archive *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int differs(struct archive *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof a->why, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_failed(struct archive *a)
{
    a->system = 1;
    snprintf(a->why, sizeof a->why, "cannot read the archive: %s", strerror(errno));
    return -1;
}

/* "sha256:<hex>" of a member into out (IMAGE_DIGEST_LEN + 1 bytes). */
static int member_digest(struct archive *a, const char *name, char *out)
{
    const struct tar_member *m = tar_find(&a->ix, name);
    if (!m || !m->regular)
        return differs(a, "the archive has no file %s", name);
    unsigned char sum[SHA256_LEN];
    if (digest_fd(a->fd, m->offset, m->size, DIGEST_SHA256, sum) < 0)
        return read_failed(a);
    memcpy(out, "sha256:", 7);
    hex_encode(sum, sizeof sum, out + 7);
    return 0;
}

/* A member parsed as JSON into *v. */
static int member_json(struct archive *a, const char *name, struct json *v)
{
    const struct tar_member *m = tar_find(&a->ix, name);
    if (!m || !m->regular)
        return differs(a, "the archive has no file %s", name);
    if (m->size > ARCHIVE_JSON_MAX)
        return differs(a, "%s is too large", name);
    char *buf = malloc((size_t)m->size + 1), err[200];
    if (!buf)
        return differs(a, "out of memory");
    ssize_t got = pread(a->fd, buf, (size_t)m->size, m->offset);
    int rc = got == (ssize_t)m->size ? 0 : read_failed(a);
    if (rc == 0 && json_parse(buf, (size_t)m->size, v, err, sizeof err) < 0) {
        char what[300];
        snprintf(what, sizeof what, "%s: %s", name, err);
        rc = differs(a, "bad JSON in %s", what);
    }
    free(buf);
    return rc;
}

/* The manifest.json entry whose RepoTags hold name. */
static const struct json *tagged_entry(const struct json *list, const char *name)
{
    for (size_t i = 0; list->type == JSON_ARRAY && i < list->count; i++) {
        const struct json *tags = json_get(&list->items[i], "RepoTags");
        for (size_t t = 0; tags && tags->type == JSON_ARRAY && t < tags->count; t++)
            if (tags->items[t].type == JSON_STRING && strcmp(tags->items[t].text, name) == 0)
                return &list->items[i];
    }
    return NULL;
}

/* The OCI manifest (blob of the listed digest) against the listed config. */
static int check_oci_manifest(struct archive *a, const struct manifest_image *img, struct json *oci)
{
    char blob[sizeof "blobs/sha256/" + 64], have[IMAGE_DIGEST_LEN + 1];
    snprintf(blob, sizeof blob, "blobs/sha256/%s", img->manifest + 7);
    if (!tar_find(&a->ix, blob))
        return differs(a, "manifest digest differs: the archive has no manifest %s", img->manifest);
    if (member_digest(a, blob, have) < 0)
        return -1;
    if (strcmp(have, img->manifest) != 0)
        return differs(a, "manifest digest differs: its blob hashes to %s", have);
    if (member_json(a, blob, oci) < 0)
        return -1;
    const char *cfg = json_get_string(json_get(oci, "config"), "digest");
    if (!cfg || strcmp(cfg, img->config) != 0)
        return differs(a, "config digest differs: the image manifest names %s", cfg ? cfg : "none");
    return 0;
}

/* manifest.json's Layers, one by one, against the OCI manifest's layers. */
static int check_layers(struct archive *a, const struct json *entry, const struct json *oci)
{
    const struct json *paths = json_get(entry, "Layers"), *layers = json_get(oci, "layers");
    if (!paths || !layers || paths->type != JSON_ARRAY || layers->type != JSON_ARRAY ||
        paths->count != layers->count)
        return differs(a, "layers differ: manifest.json and the image manifest list different layers");
    for (size_t i = 0; i < paths->count; i++) {
        const char *want = json_get_string(&layers->items[i], "digest");
        char have[IMAGE_DIGEST_LEN + 1];
        if (paths->items[i].type != JSON_STRING || !want)
            return differs(a, "layers differ: a layer is not named");
        if (member_digest(a, paths->items[i].text, have) < 0)
            return -1;
        if (strcmp(have, want) != 0)
            return differs(a, "layer differs: %s does not hash to the image manifest's digest",
                           paths->items[i].text);
    }
    return 0;
}

static int check_archive(struct archive *a, const struct manifest_image *img)
{
    struct json list, oci = {0};
    if (member_json(a, "manifest.json", &list) < 0)
        return -1;
    int rc = 0;
    const struct json *entry = tagged_entry(&list, img->name);
    const char *cfg = json_get_string(entry, "Config");
    char have[IMAGE_DIGEST_LEN + 1];
    if (!entry)
        rc = differs(a, "the archive holds no image tagged %s", img->name);
    else if (!cfg)
        rc = differs(a, "manifest.json names no Config");
    else if ((rc = member_digest(a, cfg, have)) == 0 && strcmp(have, img->config) != 0)
        rc = differs(a, "config digest differs: the archive has %s", have);
    if (rc == 0)
        rc = check_oci_manifest(a, img, &oci);
    if (rc == 0)
        rc = check_layers(a, entry, &oci);
    json_free(&oci);
    json_free(&list);
    return rc;
}

/* Open and index path into a: 0, or -1 with a->why (a->missing: there is
 * no such file; a->system: it could not be opened or read). */
static int archive_open(struct archive *a, const char *path)
{
    char err[256];
    a->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (a->fd < 0) {
        int e = errno;
        a->system = e != ENOENT;
        a->missing = e == ENOENT;
        snprintf(a->why, sizeof a->why, "cannot open %s: %s", path, strerror(e));
        return -1;
    }
    int rc = tar_index_read(a->fd, &a->ix, err, sizeof err);
    if (rc == -2)
        return read_failed(a);
    return rc < 0 ? differs(a, "%s is not a valid tar: %s", path, err) : 0;
}

static void archive_close(struct archive *a)
{
    tar_index_free(&a->ix);
    if (a->fd >= 0)
        close(a->fd);
}

void archive_image_check(const char *dir, const struct manifest_image *img, struct outcome *o)
{
    const char *slash = strrchr(img->name, '/'), *base = slash ? slash + 1 : img->name;
    struct strbuf path = {0};
    strbuf_addf(&path, "%s/%.*s.tar", dir, (int)strcspn(base, ":"), base);
    struct archive a = {.fd = -1};
    char esc[LOG_ESCAPED_SIZE(sizeof a.why)];
    int rc = archive_open(&a, path.data);
    if (rc < 0 && a.missing)
        outcome_mismatch(o, "image %s: missing: no archive %s", img->name, path.data);
    else if (rc < 0 || check_archive(&a, img) < 0)
        (a.system ? outcome_failure : outcome_mismatch)(o, "image %s: %s (%s)", img->name,
                                                        log_escape(esc, sizeof esc, a.why), path.data);
    else
        o->checked++;
    archive_close(&a);
    strbuf_free(&path);
}

int archive_tags(const char *path, char *out, size_t cap)
{
    struct archive a = {.fd = -1};
    struct json list = {0};
    int rc = archive_open(&a, path);
    if (rc == 0)
        rc = member_json(&a, "manifest.json", &list);
    struct strbuf tags = {0};
    for (size_t i = 0; rc == 0 && list.type == JSON_ARRAY && i < list.count; i++) {
        const struct json *t = json_get(&list.items[i], "RepoTags");
        for (size_t k = 0; t && t->type == JSON_ARRAY && k < t->count; k++)
            if (t->items[k].type == JSON_STRING)
                strbuf_addf(&tags, "%s%s", tags.len ? " " : "", t->items[k].text);
    }
    if (rc == 0 && !tags.len)
        rc = differs(&a, "manifest.json names no tagged image");
    char esc[LOG_ESCAPED_SIZE(512)];
    snprintf(out, cap, "%s", log_escape(esc, sizeof esc, rc == 0 ? tags.data : a.why));
    strbuf_free(&tags);
    json_free(&list);
    archive_close(&a);
    return rc == 0 ? 0 : a.system ? -2 : -1;
}
