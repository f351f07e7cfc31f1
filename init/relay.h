/* relay.h: passes a service's output through line by line, each line
 * prefixed with the service's name and written with one write(2), so that
 * partial lines from two services never interleave.
 *
 * Owns: the relays of every running service's pipes (struct relay_set);
 * the event loop (supervisor.c) adds a service's pipes when it starts and
 * hands over what poll() found readable. */
#ifndef CIRR_RELAY_H
#define CIRR_RELAY_H

#include <poll.h>
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

/* Every open relay. */
struct relay_set {
    struct relay **items;
    unsigned n;
};

/* Relay fd (a pipe's read end; -1 is ignored) to out, prefixed with name. */
void relay_set_add(struct relay_set *set, int fd, int out, const char *name);

/* Put each relay's fd in fds (n entries); returns n. */
unsigned relay_set_pollfds(const struct relay_set *set, struct pollfd *fds);

/* Read the relays that poll() found readable (fds as filled above, for the
 * same set), and drop those whose pipe has closed. */
void relay_set_read(struct relay_set *set, const struct pollfd *fds);

/* Write what is left in every pipe and free everything. */
void relay_set_drain(struct relay_set *set);

#endif
