/* journal.c: the journal ("line<TAB>found<TAB>pulled<TAB>quarantined<TAB>
 * failed<TAB>status<TAB>reason" a row) and the key file, both appended
 * with O_APPEND and fsynced a row at a time. */
#include "journal.h"

#include "array.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int append(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int rc = (fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0) ? 0 : -1;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static int add(struct journal *j, const struct row_result *r)
{
    struct row_result *grown = array_grow(j->done, &j->cap, j->n + 1, sizeof *j->done, 0);
    if (grown) {
        j->done = grown;
        j->done[j->n++] = *r;
    }
    return grown ? 0 : -1;
}

int journal_open(struct journal *j, const char *out_dir, char *err, size_t cap)
{
    memset(j, 0, sizeof *j);
    snprintf(j->dir, sizeof j->dir, "%s/.cirr-pull", out_dir);
    if ((mkdir(out_dir, 0755) < 0 && errno != EEXIST) || (mkdir(j->dir, 0700) < 0 && errno != EEXIST)) {
        snprintf(err, cap, "cannot create %s: %s", j->dir, strerror(errno));
        return -1;
    }
    char path[4200], line[512];
    snprintf(path, sizeof path, "%s/journal", j->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : (snprintf(err, cap, "%s: %s", path, strerror(errno)), -1);
    while (fgets(line, sizeof line, f)) {
        struct row_result r = {0};
        if (sscanf(line, "%u\t%u\t%u\t%u\t%u\t%15[^\t\n]\t%159[^\n]", &r.line, &r.found, &r.pulled,
                   &r.quarantined, &r.failed, r.status, r.reason) >= 6 && add(j, &r) < 0) {
            fclose(f);
            snprintf(err, cap, "out of memory");
            return -1;
        }
    }
    fclose(f);
    return 0;
}

const struct row_result *journal_find(const struct journal *j, unsigned line)
{
    for (size_t i = j->n; i-- > 0;) /* the last record of a line: a failed row is tried again */
        if (j->done[i].line == line)
            return &j->done[i];
    return NULL;
}

int journal_record(struct journal *j, const struct row_result *r, const char *keys_line)
{
    char text[512];
    snprintf(text, sizeof text, "%u\t%u\t%u\t%u\t%u\t%s\t%s\n", r->line, r->found, r->pulled, r->quarantined,
             r->failed, r->status, r->reason);
    if (append(j->dir, "keys.csv", keys_line, 0600) < 0 || append(j->dir, "journal", text, 0600) < 0)
        return -1;
    return add(j, r) < 0 ? (errno = ENOMEM, -1) : 0;
}

void journal_close(struct journal *j)
{
    free(j->done);
    j->done = NULL;
}
