/* contexts.h: the presentation contexts an association needs for a batch:
 * the SOP classes in it, and the transfer syntaxes its instances are in
 * (then Explicit and Implicit VR LE, which DCMTK converts to when the
 * destination takes only those). */
#ifndef MUX_CONTEXTS_H
#define MUX_CONTEXTS_H

#define CONTEXTS_MAX_CLASSES 128
#define CONTEXTS_MAX_TS 16

/* Two NULL-terminated lists of owned copies; zero-initialised is empty.
 * Beyond the maximum, more are left out (the instances of a class left
 * out then fail with "no accepted presentation context"). */
struct contexts {
    char *classes[CONTEXTS_MAX_CLASSES];
    char *ts[CONTEXTS_MAX_TS];
    unsigned nclasses, nts;
};

/* Add a SOP class or a transfer syntax UID, once. */
void contexts_add_class(struct contexts *c, const char *uid);
void contexts_add_ts(struct contexts *c, const char *uid);

/* 1 if an association made for have also serves need, else 0. */
int contexts_cover(const struct contexts *have, const struct contexts *need);

/* Free the copies and empty c. */
void contexts_free(struct contexts *c);

#endif
