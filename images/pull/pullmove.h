/* pullmove.h: C-MOVE's receiving side (PULL_RETRIEVE=move): cirr-pull's
 * own C-STORE SCP (AE title PULL_AET, port PULL_PORT, only the source's
 * AE title may store), running on a thread of its own while the rows are
 * pulled. lib/dicom does not hand the Move Originator fields to a C-STORE
 * handler, so an arriving instance is matched to the retrieve by its
 * Study Instance UID: each row expects its study before the C-MOVE and
 * stops expecting it after the final answer. An instance of a study no
 * row expects is refused (0x0124) with a log line. */
#ifndef CIRR_PULL_PULLMOVE_H
#define CIRR_PULL_PULLMOVE_H

#include "pullconf.h"

#include "cirr_dicom.h"

#include <stddef.h>
#include <stdint.h>

/* Takes one arriving instance (ds, in transfer syntax ts) for the row:
 * the DIMSE status to answer. Calls for one study never overlap. */
typedef uint16_t (*pullmove_fn)(cirr_dicom_dataset *ds, const char *ts, void *ud);

/* Listen on PULL_PORT and start the thread: 0, or -1 with one line in err. */
int pullmove_start(const struct pull_conf *pc, char *err, size_t cap);

/* Stop listening (associations running finish) and join the thread; a
 * no-op when not started. */
void pullmove_stop(void);

/* The instances of study uid go to fn(ud) from now on. When another row
 * expects the same study, waits until it is done (a study is moved once
 * at a time). */
void pullmove_expect(const char *uid, pullmove_fn fn, void *ud);

/* No more instances of study uid go to its fn: waits for a call running. */
void pullmove_done(const char *uid);

#endif
