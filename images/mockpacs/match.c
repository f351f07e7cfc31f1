/* match.c: C-FIND matching rules (see match.h). */
#include "match.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int wildcard(const char *p, const char *v, int fold)
{
    for (; *p; p++, v++) {
        if (*p == '*') {
            while (p[1] == '*')
                p++;
            if (!p[1])
                return 1;
            for (; *v; v++)
                if (wildcard(p + 1, v, fold))
                    return 1;
            return 0;
        }
        if (!*v)
            return 0;
        if (*p != '?' && (fold ? toupper((unsigned char)*p) != toupper((unsigned char)*v) : *p != *v))
            return 0;
    }
    return *v == '\0';
}

/* Compare the digits of a date or time without separators. */
static void digits(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (isdigit((unsigned char)*s))
            out[n++] = *s;
    out[n] = '\0';
}

static int in_range(const char *pattern, const char *value)
{
    const char *dash = strchr(pattern, '-');
    char lo[32] = "", hi[32] = "", v[32];
    digits(value, v, sizeof v);
    if (!dash) {
        digits(pattern, lo, sizeof lo);
        return strncmp(v, lo, strlen(lo)) == 0;
    }
    char a[64];
    snprintf(a, sizeof a, "%.*s", (int)(dash - pattern), pattern);
    digits(a, lo, sizeof lo);
    digits(dash + 1, hi, sizeof hi);
    if (*lo && strncmp(v, lo, strlen(lo)) < 0)
        return 0;
    if (*hi && strncmp(v, hi, strlen(hi)) > 0)
        return 0;
    return 1;
}

int match_value(const char *vr, const char *pattern, const char *value)
{
    if (!pattern[0] || strcmp(pattern, "*") == 0)
        return 1;
    if (strcmp(vr, "UI") == 0 && strchr(pattern, '\\')) {
        size_t n = strlen(value);
        for (const char *p = pattern; *p;) {
            size_t len = strcspn(p, "\\");
            if (len == n && strncmp(p, value, n) == 0)
                return 1;
            p += len + (p[len] == '\\');
        }
        return 0;
    }
    if (strcmp(vr, "DA") == 0 || strcmp(vr, "TM") == 0 || strcmp(vr, "DT") == 0)
        return in_range(pattern, value);
    int fold = strcmp(vr, "PN") == 0;
    if (strchr(pattern, '*') || strchr(pattern, '?'))
        return wildcard(pattern, value, 1);
    if (fold) {
        for (; *pattern && *value; pattern++, value++)
            if (toupper((unsigned char)*pattern) != toupper((unsigned char)*value))
                return 0;
        return *pattern == *value;
    }
    if (strcmp(vr, "CS") == 0 && strchr(value, '\\')) { /* ModalitiesInStudy: any value */
        char v[256];
        snprintf(v, sizeof v, "%s", value);
        for (char *save = NULL, *t = strtok_r(v, "\\", &save); t; t = strtok_r(NULL, "\\", &save))
            if (strcmp(t, pattern) == 0)
                return 1;
        return 0;
    }
    return strcmp(pattern, value) == 0;
}

int match_date_range(const char *pattern, unsigned *from, unsigned *to)
{
    char lo[16] = "", hi[16] = "";
    const char *dash = strchr(pattern, '-');
    *from = *to = 0;
    if (!*pattern)
        return 0;
    if (!dash) {
        if (strlen(pattern) != 8)
            return -1;
        *from = *to = (unsigned)strtoul(pattern, NULL, 10);
        return 0;
    }
    snprintf(lo, sizeof lo, "%.*s", (int)(dash - pattern), pattern);
    snprintf(hi, sizeof hi, "%s", dash + 1);
    if ((*lo && strlen(lo) != 8) || (*hi && strlen(hi) != 8))
        return -1;
    *from = *lo ? (unsigned)strtoul(lo, NULL, 10) : 0;
    *to = *hi ? (unsigned)strtoul(hi, NULL, 10) : 0;
    return 0;
}
