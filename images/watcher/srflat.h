/* srflat.h: a DICOM structured report's content tree, as Orthanc's
 * simplified JSON has it (ContentSequence items with ValueType,
 * ConceptNameCodeSequence, MeasuredValueSequence, ...), flattened into an
 * object keyed by concept name (CodeMeaning): containers become objects,
 * NUM a number, CODE its meaning, TEXT/UIDREF/DATETIME/DATE/TIME/PNAME
 * their text. A concept that repeats in a container, and always "CT
 * Acquisition" and "Irradiation Event X-Ray Data", becomes a list: the
 * field paths of the Splunk CT dose dashboards, e.g.
 *   X-Ray Radiation Dose Report.CT Acquisition{}.CT Dose.Mean CTDIvol */
#ifndef WATCH_SRFLAT_H
#define WATCH_SRFLAT_H

#include "json.h"

/* When tags is a structured report (a ContentSequence under a CONTAINER
 * root with a concept name), replace its ContentSequence by the flattened
 * tree under the root's concept name. Returns 1 when it did, else 0. */
int srflat_apply(struct json *tags);

#endif
