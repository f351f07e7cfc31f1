/* match.c: C-FIND matching rules (see match.h). */
#include "match.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

/* ---- lists and wildcards -------------------------------------------- */

/* Is item one of the backslash-separated values of list? */
static int in_list(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, "\\");
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p += len + (p[len] == '\\');
    }
    return 0;
}

static int same_folded(char a, char b) { return toupper((unsigned char)a) == toupper((unsigned char)b); }

/* Greedy, remembering only the last '*': when what follows it fails, that
 * star takes one more character and the rest is tried again from there.
 * Earlier stars never need to take more (the last one can absorb it), so
 * each restart moves the resume point forward: at most strlen(value) + 1
 * restarts of at most strlen(pattern) + 1 steps each. */
int match_wildcard(const char *pattern, const char *value, unsigned long *steps)
{
    const char *p = pattern, *v = value;
    const char *star = NULL, *resume = NULL; /* after the last '*'; where its run ends */
    unsigned long n = 1;
    int result;
    for (;; n++) {
        if (*p == '*') {
            star = ++p;
            resume = v;
            if (!*p) {
                result = 1; /* a final '*' takes whatever is left */
                break;
            }
            continue;
        }
        if (*p && *v && (*p == '?' || same_folded(*p, *v))) {
            p++, v++;
            continue;
        }
        if (!*p && !*v) {
            result = 1;
            break;
        }
        if (!star || !*resume) {
            result = 0;
            break;
        }
        p = star;
        v = ++resume;
    }
    if (steps)
        *steps += n;
    return result;
}

/* ---- dates and times ------------------------------------------------ */

enum kind { PLAIN, DATE, TIME };

/* Dates as YYYYMMDD, times as HHMMSSFFFFFF (to the microsecond). */
static const unsigned width[] = {[DATE] = 8, [TIME] = 12};

/* A key or value as a closed interval of such numbers. A time given to a
 * lesser precision covers every finer one ("10" is 10:00:00.000000 to
 * 10:59:59.999999): its digits padded with 0s, and with 9s. */
struct span {
    uint64_t lo, hi;
};

static enum kind kind_of(const char *vr)
{
    if (strcmp(vr, "DA") == 0)
        return DATE;
    return strcmp(vr, "TM") == 0 ? TIME : PLAIN;
}

static uint64_t power10(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

/* The n characters at s are decimal digits: their value in *out. */
static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static void pad(enum kind k, uint64_t number, unsigned given, struct span *out)
{
    uint64_t scale = power10(width[k] - given);
    out->lo = number * scale;
    out->hi = out->lo + scale - 1;
}

/* PS3.5 DA: YYYYMMDD, a date of the Gregorian calendar. */
static int parse_date(const char *s, size_t n, struct span *out)
{
    static const unsigned char days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, m, d;
    if (n != 8 || digits(s, 4, &y) || digits(s + 4, 2, &m) || digits(s + 6, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return -1;
    if (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
        return -1;
    pad(DATE, (uint64_t)y * 10000 + m * 100 + d, 8, out);
    return 0;
}

/* PS3.5 TM: HH, HHMM, HHMMSS, or HHMMSS. and 1 to 6 digits of fraction. */
static int parse_time(const char *s, size_t n, struct span *out)
{
    static const unsigned limit[3] = {23, 59, 60}; /* 60: a leap second */
    size_t whole = n < 6 ? n : 6, frac = n > 7 ? n - 7 : 0;
    uint64_t number = 0;
    unsigned part, fraction = 0;
    if (whole == 0 || whole % 2 || (n > 6 && (s[6] != '.' || frac == 0 || frac > 6)))
        return -1;
    for (size_t i = 0; i < whole / 2; i++) {
        if (digits(s + 2 * i, 2, &part) || part > limit[i])
            return -1;
        number = number * 100 + part;
    }
    if (frac && digits(s + 7, frac, &fraction))
        return -1;
    number = number * power10((unsigned)frac) + fraction;
    pad(TIME, number, (unsigned)(whole + frac), out);
    return 0;
}

static int parse_one(enum kind k, const char *s, size_t n, struct span *out)
{
    return k == DATE ? parse_date(s, n, out) : parse_time(s, n, out);
}

/* Length without the trailing spaces that pad DICOM values. */
static size_t trimmed(const char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    return n;
}

/* A key: one value, or a range "A-B", "A-" or "-B" (PS3.4 C.2.2.2.5.1)
 * that contains at least one instant. -1 when it is none of these. */
static int parse_key(enum kind k, const char *s, struct span *out)
{
    size_t n = trimmed(s);
    const char *dash = memchr(s, '-', n);
    if (!dash)
        return parse_one(k, s, n, out);
    size_t a = (size_t)(dash - s), b = n - a - 1;
    struct span from = {0, 0}, to = {0, power10(width[k]) - 1};
    if ((!a && !b) || (a && parse_one(k, s, a, &from)) || (b && parse_one(k, dash + 1, b, &to)))
        return -1;
    if (from.lo > to.hi)
        return -1;
    out->lo = from.lo;
    out->hi = to.hi;
    return 0;
}

/* A value is the instant it starts at; one that is not a valid date or
 * time matches no key. */
static int in_span(enum kind k, const char *pattern, const char *value)
{
    struct span key, v;
    if (parse_key(k, pattern, &key) || parse_one(k, value, trimmed(value), &v))
        return 0;
    return key.lo <= v.lo && v.lo <= key.hi;
}

/* ---- the rules ------------------------------------------------------- */

int match_value(const char *vr, const char *pattern, const char *value)
{
    if (!pattern[0] || strcmp(pattern, "*") == 0)
        return 1;
    if (strcmp(vr, "UI") == 0 && strchr(pattern, '\\'))
        return in_list(pattern, value);
    enum kind k = kind_of(vr);
    if (k != PLAIN)
        return in_span(k, pattern, value);
    if (strchr(pattern, '*') || strchr(pattern, '?'))
        return match_wildcard(pattern, value, NULL);
    if (strcmp(vr, "PN") == 0) {
        for (; *pattern && *value; pattern++, value++)
            if (!same_folded(*pattern, *value))
                return 0;
        return *pattern == *value;
    }
    if (strcmp(vr, "CS") == 0 && strchr(value, '\\')) /* ModalitiesInStudy: any value */
        return in_list(value, pattern);
    return strcmp(pattern, value) == 0;
}

int match_key_check(const char *vr, const char *pattern)
{
    struct span key;
    enum kind k = kind_of(vr);
    if (k == PLAIN || !pattern[0] || strcmp(pattern, "*") == 0)
        return 0;
    return parse_key(k, pattern, &key);
}

int match_date_range(const char *pattern, unsigned *from, unsigned *to)
{
    struct span key;
    *from = *to = 0;
    if (!*pattern)
        return 0;
    if (parse_key(DATE, pattern, &key))
        return -1;
    *from = (unsigned)key.lo;
    *to = key.hi == power10(width[DATE]) - 1 ? 0 : (unsigned)key.hi;
    return 0;
}
