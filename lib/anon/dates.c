/* dates.c: moving dates by whole days, through the proleptic Gregorian
 * calendar of timegm/gmtime_r (noon UTC, so no day is ever skipped). */
#include "anon/dates.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* YYYYMMDD at s shifted by days into out[9]; -1 when s is no valid date. */
static int shift_one(const char *s, int days, char out[9])
{
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    struct tm tm = {0};
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = 12;
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
        return -1;
    time_t t = timegm(&tm) + (time_t)days * 86400;
    struct tm moved;
    if (!gmtime_r(&t, &moved) || moved.tm_year + 1900 < 1 || moved.tm_year + 1900 > 9999)
        return -1;
    unsigned y = (unsigned)(moved.tm_year + 1900) % 10000, m = (unsigned)(moved.tm_mon + 1) % 100,
             d = (unsigned)moved.tm_mday % 100; /* the ranges are checked above; % tells the compiler */
    snprintf(out, 9, "%04u%02u%02u", y, m, d);
    return 0;
}

int dates_shift(const char *value, int days, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *v = value;;) {
        const char *end = strchr(v, '\\');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        char day[9];
        int ok = len >= 8 && shift_one(v, days, day) == 0;
        /* day, the rest of a DT (time, offset), and the separator */
        size_t need = (ok ? len : 0) + (end ? 1 : 0);
        if (used + need + 1 > cap)
            return -1;
        if (ok) {
            memcpy(out + used, day, 8);
            memcpy(out + used + 8, v + 8, len - 8);
            used += len;
        }
        if (!end)
            break;
        out[used++] = '\\';
        v = end + 1;
    }
    out[used] = '\0';
    return 0;
}
