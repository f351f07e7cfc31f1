/* main.c: cirr-verify, release integrity for cirr (doc/verify.md).
 *
 *   cirr-verify keygen PRIVATE PUBLIC         a P-256 key pair, PEM
 *   cirr-verify manifest [--images DIGESTS] RELEASE_DIR   write MANIFEST
 *   cirr-verify sign --key PRIVATE MANIFEST   write MANIFEST.sig
 *   cirr-verify verify [--key PUBLIC] [--archives DIR] RELEASE_DIR
 *   cirr-verify md5 FILE.json [ROOT]          the seed's md5 lists
 *   cirr-verify check FILE...                 formats only, no key
 *
 * Exit codes: 0 ok; 1 verification failed (one line names each file or
 * image and what differs); 100 usage or bad input; 111 a system call
 * failed. */
#include "builtin_key.h"
#include "commands.h"
#include "keys.h"
#include "log.h"
#include "outcome.h"
#include "settings.h"

#include <stdio.h>
#include <string.h>

#define CIRR_VERSION "0.1.0"

const char verify_usage[] =
    "usage: cirr-verify keygen PRIVATE PUBLIC\n"
    "       cirr-verify manifest [--images DIGESTS] RELEASE_DIR\n"
    "       cirr-verify sign --key PRIVATE MANIFEST\n"
    "       cirr-verify verify [--key PUBLIC] [--archives DIR] RELEASE_DIR\n"
    "       cirr-verify md5 FILE.json [ROOT]\n"
    "       cirr-verify check FILE...\n"
    "       cirr-verify --help | --version\n";

static const char commands_text[] =
    "\n"
    "Commands:\n"
    "  keygen PRIVATE PUBLIC   make an ECDSA P-256 key pair (PEM); PRIVATE is written\n"
    "                          with mode 0600; neither file may exist already\n"
    "  manifest [--images DIGESTS] RELEASE_DIR\n"
    "                          write RELEASE_DIR/MANIFEST: every file of the folder, and\n"
    "                          the images of DIGESTS (as `make images` writes it)\n"
    "  sign --key PRIVATE MANIFEST\n"
    "                          check MANIFEST and write its signature to MANIFEST.sig\n"
    "  verify RELEASE_DIR      check RELEASE_DIR/MANIFEST.sig, then every file and\n"
    "                          image MANIFEST lists, and that nothing else is there\n"
    "    --key PUBLIC          the public key (default: the one compiled in)\n"
    "    --archives DIR        check images in DIR/<name>.tar (docker-archive), not\n"
    "                          in the Docker engine\n"
    "  md5 FILE.json [ROOT]    check files under ROOT (default .) against an md5 list\n"
    "                          (the seed's cirr_hashes.json: {\"path\": \"md5 hex\"})\n"
    "  check FILE...           check each file's format, no key needed: *.sig as a\n"
    "                          signature, *.json as an md5 list, *.tar as a docker-archive,\n"
    "                          others as a MANIFEST\n"
    "\n"
    "Exit codes: 0 all match; 1 verification failed; 100 usage or bad input;\n"
    "111 a system call failed.\n"
    "\n";

static void print_help(void)
{
    fputs(verify_usage, stdout);
    fputs(commands_text, stdout);
    const char *pem = builtin_key_pem();
    mbedtls_pk_context pk;
    char id[KEY_ID_LEN + 1], err[256];
    mbedtls_pk_init(&pk);
    if (pem && key_public_from_pem(&pk, pem, err, sizeof err) == 0 && key_id(&pk, id) == 0)
        printf("Compiled-in public key: %s\n\n", id);
    else
        printf("Compiled-in public key: none (verify needs --key)\n\n");
    mbedtls_pk_free(&pk);
    settings_help(stdout);
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"keygen", cmd_keygen}, {"manifest", cmd_manifest}, {"sign", cmd_sign},
    {"verify", cmd_verify}, {"md5", cmd_md5},           {"check", cmd_check},
};

int main(int argc, char **argv)
{
    log_prog = "cirr-verify";
    const char *cmd = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
        return print_help(), 0;
    if (strcmp(cmd, "--version") == 0)
        return printf("cirr-verify %s\n", CIRR_VERSION), 0;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fputs(verify_usage, stderr);
    return EXIT_USAGE;
}
