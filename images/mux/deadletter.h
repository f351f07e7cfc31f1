/* deadletter.h: the dead-letter commands, run beside a running mux (same
 * environment, same spool):
 *
 *   cirr-mux dead            list dead letters: destination, entry, reason
 *   cirr-mux requeue DEST    move DEST's dead letters back into its queue
 *                            (then SIGHUP the running mux: it re-reads them) */
#ifndef MUX_DEADLETTER_H
#define MUX_DEADLETTER_H

#include "muxconf.h"

/* cirr-mux dead: one line a dead letter on stdout, "DEST\tNAME\tREASON".
 * Returns the exit code. */
int deadletter_list(const struct mux_conf *c);

/* cirr-mux requeue DEST: how many went back, on stdout. Returns the exit
 * code: 0, or 100 when DEST has no dead letters folder. */
int deadletter_requeue(const struct mux_conf *c, const char *dest);

#endif
