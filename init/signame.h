/* signame.h: the signals cirr-init names in its files and logs. */
#ifndef CIRR_SIGNAME_H
#define CIRR_SIGNAME_H

/* "TERM" or "SIGTERM" (any case) to its number; -1 when unknown. */
int parse_signal_name(const char *s);

/* "SIGTERM" for SIGTERM; "signal N" (static buffer) for others. */
const char *signal_name(int sig);

#endif
