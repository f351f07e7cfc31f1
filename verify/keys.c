/* keys.c: P-256 keys in PEM, over mbedTLS (keys.h). */
#include "keys.h"

#include "digest.h"
#include "envconf.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/platform_util.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int keys_rng(void *unused, unsigned char *out, size_t len)
{
    static mbedtls_entropy_context entropy;
    static mbedtls_ctr_drbg_context drbg;
    static int seeded;
    (void)unused;
    if (!seeded) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        static const char who[] = "cirr-verify";
        if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)who,
                                  sizeof who - 1) != 0)
            return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
        seeded = 1;
    }
    return mbedtls_ctr_drbg_random(&drbg, out, len);
}

/* Why fd (already fstat'ed into st) cannot be read whole: 0 if it can. */
static int unreadable(const struct stat *st, size_t max)
{
    if (S_ISDIR(st->st_mode))
        return EISDIR;
    if (!S_ISREG(st->st_mode))
        return EINVAL;
    return (unsigned long long)st->st_size > max ? EFBIG : 0;
}

int read_small_file(const char *path, size_t max, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    int e = fstat(fd, &st) < 0 ? errno : unreadable(&st, max);
    char *buf = e ? NULL : malloc((size_t)st.st_size + 1);
    if (!e && !buf)
        e = ENOMEM;
    size_t got = 0;
    while (!e && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno != EINTR)
            e = errno;
        else if (n == 0)
            e = EIO; /* shrank while being read */
        else if (n > 0)
            got += (size_t)n;
    }
    close(fd);
    if (e) {
        free(buf);
        errno = e;
        return -1;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

static int check_p256(mbedtls_pk_context *pk, char *err, size_t cap, const char *what)
{
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1)
        return envconf_fail(err, cap, "%s is not an ECDSA P-256 key", what);
    return 0;
}

int key_public_from_pem(mbedtls_pk_context *pk, const char *pem, char *err, size_t cap)
{
    if (mbedtls_pk_parse_public_key(pk, (const unsigned char *)pem, strlen(pem) + 1) != 0)
        return envconf_fail(err, cap, "the public key is not a PEM public key");
    return check_p256(pk, err, cap, "the public key");
}

int key_public_from_file(mbedtls_pk_context *pk, const char *path, char *err, size_t cap)
{
    char *pem;
    size_t len;
    if (read_small_file(path, KEY_FILE_MAX, &pem, &len) < 0)
        return envconf_fail(err, cap, "cannot read the public key %s: %s", path, strerror(errno));
    int rc = 0;
    if (strlen(pem) != len || mbedtls_pk_parse_public_key(pk, (unsigned char *)pem, len + 1) != 0)
        rc = envconf_fail(err, cap, "%s is not a PEM public key", path);
    free(pem);
    return rc < 0 ? rc : check_p256(pk, err, cap, path);
}

int key_private_from_file(mbedtls_pk_context *pk, const char *path, char *err, size_t cap)
{
    char *pem;
    size_t len;
    if (read_small_file(path, KEY_FILE_MAX, &pem, &len) < 0) {
        int e = errno;
        envconf_fail(err, cap, "cannot read the private key %s: %s", path, strerror(e));
        return e == ENOENT || e == EFBIG || e == EISDIR || e == EINVAL ? -1 : -2;
    }
    int rc = 0;
    if (strlen(pem) != len || mbedtls_pk_parse_key(pk, (unsigned char *)pem, len + 1, NULL, 0) != 0)
        rc = envconf_fail(err, cap, "%s is not an unencrypted PEM private key", path);
    mbedtls_platform_zeroize(pem, len);
    free(pem);
    return rc < 0 ? rc : check_p256(pk, err, cap, path);
}

int key_id(mbedtls_pk_context *pk, char *out)
{
    unsigned char der[512], sum[SHA256_LEN];
    int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
    if (n <= 0)
        return -1;
    sha256_buf(der + sizeof der - (size_t)n, (size_t)n, sum);
    hex_encode(sum, KEY_ID_LEN / 2, out);
    return 0;
}

int key_generate(mbedtls_pk_context *pk, char *err, size_t cap)
{
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), keys_rng, NULL) != 0)
        return envconf_fail(err, cap, "cannot generate a P-256 key (no entropy?)");
    return 0;
}
