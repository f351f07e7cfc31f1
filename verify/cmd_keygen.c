/* cmd_keygen.c: `keygen PRIVATE PUBLIC`: a new P-256 key pair as PEM.
 * Both files are created with O_EXCL, so an existing key is never
 * overwritten, and the private one with mode 0600 from its first byte. */
#include "commands.h"
#include "fdio.h"
#include "keys.h"
#include "log.h"
#include "outcome.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/platform_util.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEM_MAX 1024

/* Create path for writing; never an existing file. Dies on failure. */
static int create_new(const char *path, mode_t mode, const char *other)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0 && fchmod(fd, mode) == 0) /* exactly mode, whatever the umask */
        return fd;
    int e = errno;
    if (other)
        unlink(other);
    errno = e;
    if (e == EEXIST)
        die(EXIT_USAGE, "%s exists: keygen never overwrites a key file", path);
    die_sys(EXIT_SYSTEM, "cannot create %s", path);
}

/* The folder holding path, fsynced: the new name is durable too. */
static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

static int write_pem(int fd, const unsigned char *pem)
{
    size_t n = strlen((const char *)pem);
    return fd_write_all(fd, pem, n) < 0 || fsync(fd) < 0 ? -1 : 0;
}

int cmd_keygen(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
        fputs(verify_usage, stderr);
        return EXIT_USAGE;
    }
    const char *priv = argv[1], *pub = argv[2];
    mbedtls_pk_context pk;
    unsigned char priv_pem[PEM_MAX], pub_pem[PEM_MAX];
    char err[256], id[KEY_ID_LEN + 1];
    mbedtls_pk_init(&pk);
    if (key_generate(&pk, err, sizeof err) < 0)
        die(EXIT_SYSTEM, "%s", err);
    if (mbedtls_pk_write_key_pem(&pk, priv_pem, sizeof priv_pem) != 0 ||
        mbedtls_pk_write_pubkey_pem(&pk, pub_pem, sizeof pub_pem) != 0 || key_id(&pk, id) < 0)
        die(EXIT_SYSTEM, "cannot encode the new key as PEM");
    mbedtls_pk_free(&pk);
    int pfd = create_new(priv, 0600, NULL);
    int qfd = create_new(pub, 0644, priv);
    int ok = write_pem(pfd, priv_pem) == 0 && write_pem(qfd, pub_pem) == 0;
    int e = errno;
    mbedtls_platform_zeroize(priv_pem, sizeof priv_pem);
    ok = close(pfd) == 0 && ok;
    ok = close(qfd) == 0 && ok;
    ok = ok && sync_parent(priv) == 0 && sync_parent(pub) == 0;
    if (!ok) {
        unlink(priv);
        unlink(pub);
        errno = e;
        die_sys(EXIT_SYSTEM, "cannot write the key files %s and %s", priv, pub);
    }
    log_msg(LOG_INFO, NULL, "wrote the private key %s (mode 0600) and the public key %s", priv, pub);
    printf("%s\n", id);
    return 0;
}
