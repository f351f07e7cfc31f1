/* manifest.c: the MANIFEST parser (manifest.h). It reads signed but
 * possibly hostile text: every field is checked, every size bounded. */
#include "manifest.h"

#include "array.h"
#include "envconf.h"
#include "relpath.h"

#include <stdlib.h>
#include <string.h>

struct parser {
    struct manifest *m;
    size_t fcap, icap;
    unsigned line;
    char *err;
    size_t cap;
};

static int bad(struct parser *p, const char *what)
{
    return envconf_fail(p->err, p->cap, "line %u: %s", p->line, what);
}

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A repository path component: lower-case letters and digits, joined by
 * single '.', '_' or '-' (and "__"), as Docker's reference grammar has it. */
static int repo_component_ok(const char *c, size_t n)
{
    if (n == 0 || !is_lower_alnum(c[0]) || !is_lower_alnum(c[n - 1]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!is_lower_alnum(c[i]) && !strchr("._-", c[i]))
            return 0;
    return 1;
}

const char *image_name_problem(const char *name, size_t n)
{
    if (n == 0 || n > IMAGE_NAME_MAX)
        return "image name empty or longer than 255 bytes";
    const char *colon = memchr(name, ':', n);
    if (!colon)
        return "image name without a ':tag'";
    size_t rlen = (size_t)(colon - name), tlen = n - rlen - 1;
    if (tlen == 0 || tlen > 128 || colon[1] == '.' || colon[1] == '-')
        return "bad image tag";
    for (size_t i = 1; i <= tlen; i++)
        if (!is_lower_alnum(colon[i]) && !(colon[i] >= 'A' && colon[i] <= 'Z') && !strchr("._-", colon[i]))
            return "bad image tag";
    size_t start = 0;
    for (size_t i = 0; i <= rlen; i++) {
        if (i == rlen || name[i] == '/') {
            if (!repo_component_ok(name + start, i - start))
                return "bad image repository name (lower-case letters, digits, '.', '_', '-', '/')";
            start = i + 1;
        }
    }
    return NULL;
}

static int digest_field_ok(const char *f, size_t n)
{
    unsigned char tmp[SHA256_LEN];
    return n == IMAGE_DIGEST_LEN && memcmp(f, "sha256:", 7) == 0 &&
           hex_decode(f + 7, n - 7, tmp, sizeof tmp, 1) == 0;
}

/* "file <hex> <path>", s after "file ". */
static int parse_file(struct parser *p, const char *s, size_t n)
{
    if (n < 2 * SHA256_LEN + 1 || s[2 * SHA256_LEN] != ' ')
        return bad(p, "expected 'file <64 hex digits> <path>'");
    unsigned char sum[SHA256_LEN];
    if (hex_decode(s, 2 * SHA256_LEN, sum, sizeof sum, 1) < 0)
        return bad(p, "the SHA-256 is not 64 lower-case hex digits");
    const char *path = s + 2 * SHA256_LEN + 1;
    size_t plen = n - 2 * SHA256_LEN - 1;
    const char *why = relpath_problem(path, plen);
    if (why)
        return bad(p, why);
    struct manifest *m = p->m;
    struct manifest_file *f = array_grow(m->files, &p->fcap, m->nfiles + 1, sizeof *f, 0);
    if (!f)
        return bad(p, "out of memory");
    m->files = f;
    f = &m->files[m->nfiles];
    if (!(f->path = strndup(path, plen)))
        return bad(p, "out of memory");
    memcpy(f->sha256, sum, sizeof sum);
    f->line = p->line;
    m->nfiles++;
    return 0;
}

/* "image <name> sha256:<hex> sha256:<hex>", s after "image ". */
static int parse_image(struct parser *p, const char *s, size_t n)
{
    const char *sp = memchr(s, ' ', n);
    size_t nlen = sp ? (size_t)(sp - s) : n;
    if (!sp || n - nlen != 2 * (IMAGE_DIGEST_LEN + 1))
        return bad(p, "expected 'image <name:tag> sha256:<config> sha256:<manifest>'");
    const char *why = image_name_problem(s, nlen);
    if (why)
        return bad(p, why);
    const char *cfg = sp + 1, *man = cfg + IMAGE_DIGEST_LEN + 1;
    if (!digest_field_ok(cfg, IMAGE_DIGEST_LEN) || cfg[IMAGE_DIGEST_LEN] != ' ' ||
        !digest_field_ok(man, IMAGE_DIGEST_LEN))
        return bad(p, "an image digest is not 'sha256:' and 64 lower-case hex digits");
    struct manifest *m = p->m;
    struct manifest_image *img = array_grow(m->images, &p->icap, m->nimages + 1, sizeof *img, 0);
    if (!img)
        return bad(p, "out of memory");
    m->images = img;
    img = &m->images[m->nimages++];
    memcpy(img->name, s, nlen);
    img->name[nlen] = '\0';
    memcpy(img->config, cfg, IMAGE_DIGEST_LEN);
    img->config[IMAGE_DIGEST_LEN] = '\0';
    memcpy(img->manifest, man, IMAGE_DIGEST_LEN);
    img->manifest[IMAGE_DIGEST_LEN] = '\0';
    img->line = p->line;
    return 0;
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
    if (p->line == 1)
        return n == strlen(MANIFEST_VERSION_LINE) && memcmp(s, MANIFEST_VERSION_LINE, n) == 0
                   ? 0
                   : bad(p, "the first line is not '" MANIFEST_VERSION_LINE "'");
    if (p->m->nfiles + p->m->nimages >= MANIFEST_MAX_ENTRIES)
        return bad(p, "more than 100000 entries");
    if (n > 5 && memcmp(s, "file ", 5) == 0)
        return parse_file(p, s + 5, n - 5);
    if (n > 6 && memcmp(s, "image ", 6) == 0)
        return parse_image(p, s + 6, n - 6);
    return bad(p, "expected a 'file' or 'image' entry");
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct manifest_file *)a)->path, ((const struct manifest_file *)b)->path);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct manifest_image *)a)->name, ((const struct manifest_image *)b)->name);
}

/* Sort both lists and refuse a path or an image listed twice. */
static int check_duplicates(struct parser *p)
{
    struct manifest *m = p->m;
    if (m->nfiles) /* qsort's base may not be NULL, even for 0 elements */
        qsort(m->files, m->nfiles, sizeof *m->files, by_path);
    if (m->nimages)
        qsort(m->images, m->nimages, sizeof *m->images, by_name);
    for (size_t i = 1; i < m->nfiles; i++)
        if (strcmp(m->files[i - 1].path, m->files[i].path) == 0) {
            unsigned a = m->files[i - 1].line, b = m->files[i].line;
            p->line = a > b ? a : b;
            return envconf_fail(p->err, p->cap, "line %u: file listed twice (also on line %u)", p->line,
                                a < b ? a : b);
        }
    for (size_t i = 1; i < m->nimages; i++)
        if (strcmp(m->images[i - 1].name, m->images[i].name) == 0) {
            unsigned a = m->images[i - 1].line, b = m->images[i].line;
            return envconf_fail(p->err, p->cap, "line %u: image listed twice (also on line %u)",
                                a > b ? a : b, a < b ? a : b);
        }
    return 0;
}

int manifest_parse(const char *data, size_t len, struct manifest *m, char *err, size_t cap)
{
    struct parser p = {m, 0, 0, 0, err, cap};
    memset(m, 0, sizeof *m);
    if (len > MANIFEST_MAX_BYTES)
        return envconf_fail(err, cap, "larger than %u bytes", MANIFEST_MAX_BYTES);
    if (len == 0)
        return envconf_fail(err, cap, "line 1: empty");
    size_t pos = 0;
    int rc = 0;
    while (pos < len && rc == 0) {
        p.line++;
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        if (n + 1 > MANIFEST_MAX_LINE)
            rc = bad(&p, "line longer than 2048 bytes");
        else if (!nl)
            rc = bad(&p, "the last line does not end with a newline (truncated?)");
        else
            rc = parse_line(&p, data + pos, n);
        pos += n + 1;
    }
    if (rc == 0)
        rc = check_duplicates(&p);
    if (rc < 0)
        manifest_free(m);
    return rc;
}

void manifest_free(struct manifest *m)
{
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    free(m->images);
    memset(m, 0, sizeof *m);
}

const struct manifest_file *manifest_file_find(const struct manifest *m, const char *path)
{
    struct manifest_file key = {.path = (char *)path};
    return m->nfiles ? bsearch(&key, m->files, m->nfiles, sizeof *m->files, by_path) : NULL;
}
