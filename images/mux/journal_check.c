/* journal_check.c: journal_check (see journal.h): a queue file is checked
 * against its journal record just before it is sent. */
#include "journal.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 if the file at path holds len bytes whose CRC32 is crc, else 0. */
static int file_matches(const char *path, uint64_t len, uint32_t crc)
{
    static const size_t chunk = 1 << 16;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    uint8_t *buf = fd >= 0 ? malloc(chunk) : NULL;
    uint64_t got = 0;
    uint32_t c = 0;
    ssize_t n = 0;
    while (buf && (n = read(fd, buf, chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        c = jrec_crc(c, buf, (size_t)n);
        got += (uint64_t)n;
    }
    free(buf);
    if (fd >= 0)
        close(fd);
    return buf && n == 0 && got == len && c == crc;
}

/* Write data as name in tmp/, then rename it over path. 0 or -1. */
static int replace(const struct mux_conf *c, const char *name, const uint8_t *data, uint64_t len, const char *path)
{
    char tmp[SPOOL_PATH_MAX];
    if (spool_entry_path(tmp, sizeof tmp, c->spool, SPOOL_TMP, NULL, name) < 0)
        return -1;
    unlink(tmp); /* nothing of ours: tmp/ names are never reused while a record waits */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    int rc = fd >= 0 && fd_write_all(fd, data, (size_t)len) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -1;
    if (rc < 0)
        unlink(tmp);
    return rc;
}

int journal_check(struct journal *j, unsigned dest, const char *name, const char *path)
{
    pthread_mutex_lock(&j->lock);
    struct jrec *r = *journal_slot(j, name), copy;
    int fd = -1;
    if (r && (r->pending & r->unchecked & (1u << dest))) {
        r->unchecked &= ~(1u << dest); /* once: a file remade below is this process's own */
        copy = *r;
        fd = dup(r->seg->fd); /* the segment stays while the record waits for dest; a dup all the same */
    }
    pthread_mutex_unlock(&j->lock);
    if (fd < 0 || file_matches(path, copy.data_len, copy.data_crc)) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint8_t *data = jrec_read_data(fd, copy.data_at, copy.data_len, copy.data_crc);
    close(fd);
    int rc = data && replace(j->conf, name, data, copy.data_len, path) == 0 ? 1 : -1;
    free(data);
    return rc;
}
