/* textfile.c: see textfile.h. */
#include "textfile.h"

#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *textfile_read(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct strbuf sb = {0};
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (sb.len + (size_t)n > max || memchr(buf, '\0', (size_t)n)) {
            errno = sb.len + (size_t)n > max ? EFBIG : EINVAL;
            break;
        }
        strbuf_add(&sb, buf, (size_t)n);
    }
    int saved = errno;
    close(fd);
    if (n != 0) { /* a read error, too large, or a NUL byte */
        strbuf_free(&sb);
        errno = saved;
        return NULL;
    }
    char *s = strbuf_take(&sb);
    size_t len = strlen(s); /* no NUL inside: checked above */
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}
