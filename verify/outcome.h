/* outcome.h: what a check found, one log line a problem, and the exit
 * code it comes to: 0 all matched, 1 something differs (EXIT_MISMATCH),
 * 111 something could not be checked (a system call failed). */
#ifndef CIRR_VERIFY_OUTCOME_H
#define CIRR_VERIFY_OUTCOME_H

#define EXIT_MISMATCH 1
#define EXIT_USAGE 100
#define EXIT_SYSTEM 111

struct outcome {
    unsigned mismatches;  /* files or images that differ from the list */
    unsigned failures;    /* checks a system error stopped */
    unsigned checked;     /* files and images that matched */
};

/* One "error: SUBJECT: what differs" line; counts a mismatch. */
void outcome_mismatch(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One "error: ..." line for a check that could not be made; counts a failure. */
void outcome_failure(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 111 if a check failed, else 1 if anything differs, else 0. */
int outcome_exit(const struct outcome *o);

#endif
