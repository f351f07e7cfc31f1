/* dates.h: DA and DT values moved by a whole number of days. */
#ifndef CIRR_ANON_DATES_H
#define CIRR_ANON_DATES_H

#include <stddef.h>

/* Shift every value of a DA or DT element (values joined by '\') by days
 * into out (capacity cap). A DT keeps its time and offset; a value that is
 * not a full date (YYYYMMDD first) is dropped rather than kept unshifted.
 * 0, or -1 when out is too small. */
int dates_shift(const char *value, int days, char *out, size_t cap);

#endif
