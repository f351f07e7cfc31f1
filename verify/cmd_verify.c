/* cmd_verify.c: `verify [--key PUBLIC] [--archives DIR] RELEASE_DIR`.
 *
 * 1. the public key: --key, else the compiled-in one
 * 2. MANIFEST.sig against MANIFEST's exact bytes: nothing else is
 *    believed before this passes
 * 3. MANIFEST parsed strictly
 * 4. every listed file hashed; the folder walked for unlisted ones
 * 5. every listed image: in the Docker engine, or in --archives DIR
 * Every difference is one line; the exit code sums them up (outcome.h). */
#include "archive_image.h"
#include "builtin_key.h"
#include "commands.h"
#include "docker_engine.h"
#include "keys.h"
#include "log.h"
#include "manifest.h"
#include "outcome.h"
#include "release_files.h"
#include "settings.h"
#include "signature.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct verify_args {
    const char *key, *archives, *dir;
};

static int parse_args(int argc, char **argv, struct verify_args *a)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, 'k'},
        {"archives", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (c == 'k')
            a->key = optarg;
        else if (c == 'a')
            a->archives = optarg;
        else
            return -1;
    }
    if (optind != argc - 1)
        return -1;
    a->dir = argv[optind];
    return 0;
}

static void load_public_key(mbedtls_pk_context *pk, const char *file, char *id)
{
    char err[512];
    const char *pem = builtin_key_pem();
    if (!file && !pem)
        die(EXIT_USAGE, "no public key: give --key PUBLIC (this build has none compiled in)");
    if ((file ? key_public_from_file(pk, file, err, sizeof err) : key_public_from_pem(pk, pem, err, sizeof err)) < 0)
        die(EXIT_USAGE, "%s", err);
    if (key_id(pk, id) < 0)
        die(EXIT_USAGE, "cannot encode the public key");
}

/* A release file (MANIFEST or MANIFEST.sig) read whole; NULL after one
 * line in o when it is missing or cannot be read. */
static char *read_release_file(const char *dir, const char *name, size_t max, size_t *len, struct outcome *o)
{
    struct strbuf path = {0};
    char *data = NULL;
    strbuf_addf(&path, "%s/%s", dir, name);
    if (read_small_file(path.data, max, &data, len) < 0) {
        if (errno == ENOENT)
            outcome_mismatch(o, "%s: missing", name);
        else if (errno == EFBIG || errno == EISDIR || errno == EINVAL)
            outcome_mismatch(o, "%s: malformed: %s", name, errno == EFBIG ? "too large" : "not a regular file");
        else
            outcome_failure(o, "%s: cannot read: %s", name, strerror(errno));
        data = NULL;
    }
    strbuf_free(&path);
    return data;
}

/* Steps 2 and 3: 0 with m filled, or -1 after one line in o. */
static int trusted_manifest(const char *dir, mbedtls_pk_context *pk, const char *id, struct manifest *m,
                            struct outcome *o)
{
    size_t len, slen;
    char err[512];
    struct signature sig;
    char *text = read_release_file(dir, "MANIFEST", MANIFEST_MAX_BYTES, &len, o);
    char *sigtext = text ? read_release_file(dir, "MANIFEST.sig", SIGNATURE_MAX_TEXT, &slen, o) : NULL;
    int rc = -1;
    if (!sigtext)
        ;
    else if (signature_parse(sigtext, slen, &sig, err, sizeof err) < 0)
        outcome_mismatch(o, "MANIFEST.sig: malformed: %s", err);
    else if (strcmp(sig.key_id, id) != 0)
        outcome_mismatch(o, "MANIFEST.sig: bad signature: signed by key %s, not by the trusted key %s",
                         sig.key_id, id);
    else if (signature_check(pk, text, len, &sig) < 0)
        outcome_mismatch(o, "MANIFEST.sig: bad signature: MANIFEST (or its signature) changed after signing");
    else if (manifest_parse(text, len, m, err, sizeof err) < 0)
        outcome_mismatch(o, "MANIFEST: malformed at %s", err);
    else
        rc = 0;
    free(text);
    free(sigtext);
    return rc;
}

static void check_engine_image(const char *socket, const struct manifest_image *img, struct outcome *o)
{
    char id[128], err[512];
    int rc = docker_image_id(socket, img->name, id, sizeof id, err, sizeof err);
    char esc[LOG_ESCAPED_SIZE(sizeof id)];
    if (rc < 0)
        outcome_failure(o, "image %s: %s", img->name, err);
    else if (rc == 1)
        outcome_mismatch(o, "image %s: missing: not loaded in the Docker engine", img->name);
    else if (strcmp(id, img->config) != 0 && strcmp(id, img->manifest) != 0)
        outcome_mismatch(o, "image %s: digest differs: the engine has %s, the manifest lists %s", img->name,
                         log_escape(esc, sizeof esc, id), img->config);
    else
        o->checked++;
}

static void check_images(const struct manifest *m, const char *archives, struct outcome *o)
{
    struct verify_settings st = {0};
    char err[512];
    if (!archives && m->nimages > 0 && settings_load(&st, err, sizeof err) < 0)
        die(EXIT_USAGE, "%s", err);
    for (size_t i = 0; i < m->nimages; i++) {
        if (archives)
            archive_image_check(archives, &m->images[i], o);
        else
            check_engine_image(st.docker_socket, &m->images[i], o);
    }
}

int cmd_verify(int argc, char **argv)
{
    struct verify_args a = {0};
    if (parse_args(argc, argv, &a) < 0) {
        fputs(verify_usage, stderr);
        return EXIT_USAGE;
    }
    mbedtls_pk_context pk;
    char id[KEY_ID_LEN + 1];
    mbedtls_pk_init(&pk);
    load_public_key(&pk, a.key, id);
    int rootfd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        die_sys(errno == ENOENT || errno == ENOTDIR ? EXIT_USAGE : EXIT_SYSTEM, "%s: cannot open the release folder", a.dir);
    struct outcome o = {0};
    struct manifest m;
    if (trusted_manifest(a.dir, &pk, id, &m, &o) == 0) {
        release_files_check(rootfd, &m, &o);
        check_images(&m, a.archives, &o);
        if (o.mismatches + o.failures == 0)
            log_msg(LOG_INFO, NULL, "%s: OK: %zu files and %zu images match MANIFEST, signed by key %s", a.dir,
                    m.nfiles, m.nimages, id);
        manifest_free(&m);
    }
    if (o.mismatches + o.failures)
        log_msg(LOG_ERROR, NULL, "%s: verification FAILED (%u differences, %u checks not made)", a.dir,
                o.mismatches, o.failures);
    mbedtls_pk_free(&pk);
    close(rootfd);
    return outcome_exit(&o);
}
