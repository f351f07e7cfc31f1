/* list.c: see list.h. */
#include "list.h"

#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

char **list_split(const char *text, char sep)
{
    char **v = xmalloc(sizeof *v);
    size_t n = 0;
    while (*text) {
        while (*text == sep || *text == ' ' || *text == '\t')
            text++;
        const char *end = strchr(text, sep);
        if (!end)
            end = text + strlen(text);
        const char *last = end;
        while (last > text && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if (last > text) {
            v = xrealloc(v, (n + 2) * sizeof *v);
            v[n] = xmalloc((size_t)(last - text) + 1);
            memcpy(v[n], text, (size_t)(last - text));
            v[n][last - text] = '\0';
            n++;
        }
        text = end;
    }
    v[n] = NULL;
    return v;
}

size_t list_len(char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

int list_contains(char *const *list, const char *value)
{
    for (; list && *list; list++)
        if (!strcmp(*list, value))
            return 1;
    return 0;
}

void list_free(char **list)
{
    for (char **p = list; p && *p; p++)
        free(*p);
    free(list);
}
