/* array.h: room in a growable array. The caller keeps the pointer, the
 * count and the capacity in its own struct; this file only grows it, by
 * doubling, so that n appends cost O(n) copies in all. */
#ifndef CIRR_ARRAY_H
#define CIRR_ARRAY_H

#include <stddef.h>

/* Make items (cap elements of size bytes) hold at least need elements.
 * Returns the array to use from now on (items itself when it was big
 * enough) and updates *cap; NULL with errno ENOMEM when memory or size_t
 * runs out, items then being untouched and still owned by the caller. The
 * first allocation holds at least `first` elements (0: 16), and is made
 * even when need is 0, so that NULL only ever means failure. */
void *array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first);

#endif
