/* relay.h: passes a service's output through line by line, each line
 * prefixed with the service's name and written with one write(2), so that
 * partial lines from two services never interleave. */
#ifndef CIRR_RELAY_H
#define CIRR_RELAY_H

#include <stddef.h>

#define RELAY_LINE_MAX 4096

struct relay {
    int fd;                /* read end of the service's pipe; -1 when closed */
    int out;               /* where lines go: STDOUT_FILENO or STDERR_FILENO */
    char name[64];
    size_t len;
    char buf[RELAY_LINE_MAX];
};

/* Allocate a relay for fd; never NULL (allocation failure is fatal). */
struct relay *relay_new(int fd, int out, const char *name);

/* Read what is available and write out whole lines (a line longer than the
 * buffer is cut). Returns 0 while open, -1 once the pipe reached EOF: the
 * rest was written with a newline and fd is closed. */
int relay_read(struct relay *r);

/* Close and free; accepts NULL. Writes any partial line first. */
void relay_free(struct relay *r);

#endif
