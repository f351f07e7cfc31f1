/* relpath.c: the rules of relpath.h. */
#include "relpath.h"

#include "utf8.h"

#include <string.h>

static const char *component_problem(const char *c, size_t n)
{
    if (n == 0)
        return "empty path component (a leading, trailing or doubled '/')";
    if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
        return "'.' or '..' component";
    if (c[0] == ' ' || c[n - 1] == ' ')
        return "a path component starts or ends with a space";
    return NULL;
}

const char *relpath_problem(const char *p, size_t n)
{
    if (n == 0)
        return "empty path";
    if (n > RELPATH_MAX)
        return "path longer than 1024 bytes";
    if (p[0] == '/')
        return "absolute path";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return "control character in path";
    if (!utf8_valid(p, n))
        return "path is not valid UTF-8";
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            const char *why = component_problem(p + start, i - start);
            if (why)
                return why;
            start = i + 1;
        }
    }
    return NULL;
}
