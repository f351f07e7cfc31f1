/* cmd_sign.c: `sign --key PRIVATE MANIFEST`: MANIFEST is checked as
 * `verify` would read it (a malformed one is never signed), then its
 * signature is written to MANIFEST.sig (atomically). */
#include "atomicfile.h"
#include "commands.h"
#include "inputs.h"
#include "keys.h"
#include "log.h"
#include "manifest.h"
#include "outcome.h"
#include "signature.h"
#include "strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *parse_key_option(int argc, char **argv)
{
    static const struct option longopts[] = {{"key", required_argument, NULL, 'k'}, {NULL, 0, NULL, 0}};
    const char *key = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (c != 'k')
            return NULL;
        key = optarg;
    }
    return optind == argc - 1 ? key : NULL;
}

/* The manifest's bytes, checked; dies (100) when it is not a valid one. */
static char *read_manifest(const char *path, size_t *len)
{
    char *data, err[768];
    struct manifest m;
    int rc = manifest_load(path, &data, len, &m, err, sizeof err);
    if (rc < 0)
        die(rc == -2 ? EXIT_SYSTEM : EXIT_USAGE, "%s (not signed)", err);
    log_msg(LOG_INFO, NULL, "%s: %zu files, %zu images", path, m.nfiles, m.nimages);
    manifest_free(&m);
    return data;
}

/* A signing key others can read is a key others may have copied. */
static void warn_if_readable(const char *keyfile)
{
    struct stat st;
    if (stat(keyfile, &st) == 0 && (st.st_mode & 077))
        log_msg(LOG_WARN, NULL, "the private key %s can be read by others (mode %04o): chmod 600 it", keyfile,
                (unsigned)(st.st_mode & 07777));
}

int cmd_sign(int argc, char **argv)
{
    const char *keyfile = parse_key_option(argc, argv);
    if (!keyfile) {
        fputs(verify_usage, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    mbedtls_pk_context pk;
    char err[512], line[SIGNATURE_MAX_TEXT + 1];
    struct signature sig;
    mbedtls_pk_init(&pk);
    int rc = key_private_from_file(&pk, keyfile, err, sizeof err);
    if (rc < 0)
        die(rc == -2 ? EXIT_SYSTEM : EXIT_USAGE, "%s", err);
    warn_if_readable(keyfile);
    size_t len;
    char *data = read_manifest(path, &len);
    if (signature_make(&pk, data, len, &sig) < 0)
        die(EXIT_SYSTEM, "cannot sign %s", path);
    mbedtls_pk_free(&pk);
    free(data);
    size_t n = signature_format(&sig, line);
    struct strbuf out = {0};
    strbuf_addf(&out, "%s.sig", path);
    if (atomicfile_write(out.data, line, n, 0644, (uid_t)-1, (gid_t)-1) < 0)
        die_sys(EXIT_SYSTEM, "cannot write %s", out.data);
    log_msg(LOG_INFO, NULL, "wrote %s (key %s)", out.data, sig.key_id);
    strbuf_free(&out);
    return 0;
}
