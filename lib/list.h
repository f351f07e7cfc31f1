/* list.h: comma-separated settings ("AET1, AET2,AET3") as string vectors. */
#ifndef CIRR_LIST_H
#define CIRR_LIST_H

#include <stddef.h>

/* Split text at sep into a NULL-terminated vector of copies, spaces around
 * items trimmed and empty items dropped. Never NULL (an empty list is
 * {NULL}); out of memory is fatal (exit 111), like strbuf. Free with
 * list_free. */
char **list_split(const char *text, char sep);

/* Number of items. */
size_t list_len(char *const *list);

/* 1 if value is one of the items, else 0. */
int list_contains(char *const *list, const char *value);

/* Free the items and the vector; NULL is accepted. */
void list_free(char **list);

#endif
