/* tarindex.h: where each regular file of a tar archive lies (ustar and
 * GNU long names), so that members can be hashed or read in place. Strict:
 * header checksums checked, a member name twice is refused, and so are
 * entry types whose meaning Docker and this reader could see differently
 * (pax headers); links are recorded but never followed. */
#ifndef CIRR_VERIFY_TARINDEX_H
#define CIRR_VERIFY_TARINDEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAR_MAX_MEMBERS 100000
#define TAR_NAME_MAX 4096

struct tar_member {
    char *name;       /* without a leading "./" */
    off_t offset;     /* of its data */
    uint64_t size;
    int regular;      /* 0: a folder or a link */
};

struct tar_index {
    struct tar_member *members; /* sorted by name */
    size_t count;
};

/* Index the tar file open at fd: 0, or -1 with what is wrong in err
 * (-2: a read failed, errno set). Free with tar_index_free. */
int tar_index_read(int fd, struct tar_index *ix, char *err, size_t cap);

void tar_index_free(struct tar_index *ix);

/* The member called name, or NULL. */
const struct tar_member *tar_find(const struct tar_index *ix, const char *name);

#endif
