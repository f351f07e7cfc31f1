/* contexts.c: see contexts.h. */
#include "contexts.h"

#include "list.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

static void add(char **list, unsigned *n, unsigned max, const char *uid)
{
    if (list_contains(list, uid))
        return;
    if (*n + 1 < max)
        list[(*n)++] = xstrdup(uid);
    list[*n] = NULL;
}

void contexts_add_class(struct contexts *c, const char *uid)
{
    add(c->classes, &c->nclasses, CONTEXTS_MAX_CLASSES, uid);
}

void contexts_add_ts(struct contexts *c, const char *uid)
{
    add(c->ts, &c->nts, CONTEXTS_MAX_TS, uid);
}

/* Every item of need is one of have's. */
static int subset(char *const *need, char *const *have)
{
    for (; *need; need++)
        if (!list_contains(have, *need))
            return 0;
    return 1;
}

int contexts_cover(const struct contexts *have, const struct contexts *need)
{
    return subset(need->classes, have->classes) && subset(need->ts, have->ts);
}

void contexts_free(struct contexts *c)
{
    for (unsigned i = 0; i < c->nclasses; i++)
        free(c->classes[i]);
    for (unsigned i = 0; i < c->nts; i++)
        free(c->ts[i]);
    memset(c, 0, sizeof *c);
}
