/* array.c: see array.h. */
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

void *array_grow(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
    /* an empty array (NULL) is allocated even for need 0: NULL must only
     * ever mean failure */
    if (items && need <= *cap)
        return items;
    size_t n = *cap ? *cap : (first ? first : 16);
    while (n < need) {
        if (n > SIZE_MAX / 2) {
            errno = ENOMEM;
            return NULL;
        }
        n *= 2;
    }
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *grown = realloc(items, n * size);
    if (!grown) {
        errno = ENOMEM;
        return NULL;
    }
    *cap = n;
    return grown;
}
