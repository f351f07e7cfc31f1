/* keyfile.c: the project key from its secret file; the mode is checked so
 * that a key others can read is refused, and the key never reaches an
 * error text. */
#include "anon/anon.h"
#include "envconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_file(int fd, const char *path, char *err, size_t cap)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return envconf_fail(err, cap, "key file %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return envconf_fail(err, cap, "key file %s: not a regular file", path);
    if (st.st_mode & 077)
        return envconf_fail(err, cap, "key file %s: mode %03o lets others read it; chmod 600 it", path,
                    (unsigned)(st.st_mode & 0777));
    return 0;
}

int anon_key_load(const char *path, struct anon_key *key, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return envconf_fail(err, cap, "key file %s: %s", path, strerror(errno));
    if (check_file(fd, path, err, cap) < 0) {
        close(fd);
        return -1;
    }
    unsigned char buf[ANON_KEY_MAX + 2];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return envconf_fail(err, cap, "key file %s: %s", path, strerror(errno));
        }
        len += (size_t)n;
    }
    close(fd);
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len < ANON_KEY_MIN || len > ANON_KEY_MAX)
        return envconf_fail(err, cap, "key file %s: the key must be %d to %d bytes", path, ANON_KEY_MIN, ANON_KEY_MAX);
    memcpy(key->bytes, buf, len);
    key->len = len;
    memset(buf, 0, sizeof buf);
    return 0;
}
