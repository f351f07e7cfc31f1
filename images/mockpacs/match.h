/* match.h: DICOM C-FIND attribute matching (PS3.4 C.2.2.2): universal,
 * single value, list of UIDs, wildcard (* and ?) and date/time ranges.
 * Nothing here allocates: C-FIND runs it on every study of the catalog. */
#ifndef MOCK_MATCH_H
#define MOCK_MATCH_H

/* Does value match pattern for an attribute of this VR ("PN", "DA", ...)?
 * An empty pattern or "*" matches everything. Person names and wildcards
 * compare without regard to case. DA and TM keys are a single value or a
 * range ("A-B", "A-", "-B"; PS3.4 C.2.2.2.5) in the strict PS3.5 formats;
 * a key that is not one (see match_key_check) matches nothing. */
int match_value(const char *vr, const char *pattern, const char *value);

/* Can a key of this VR be matched? 0 when it can; -1 for a DA key that is
 * not YYYYMMDD (a real calendar date) or a range of such dates, or a TM key
 * that is not HH, HHMM, HHMMSS or HHMMSS.F to HHMMSS.FFFFFF or a range of
 * such times (the start not after the end). Other VRs are always 0. */
int match_key_check(const char *vr, const char *pattern);

/* Wildcard matching, '*' any run of characters (none too), '?' any one
 * character, others without regard to case. Time at most proportional to
 * strlen(pattern) * strlen(value), whatever the pattern. When steps is not
 * NULL, the loop's iterations are added to *steps (for tests). */
int match_wildcard(const char *pattern, const char *value, unsigned long *steps);

/* Split a StudyDate key (a date, or a range "A-B", "A-" or "-B") into
 * YYYYMMDD numbers (0 = open); a single date gives from = to, an empty key
 * 0 and 0. Returns 0, or -1 when the key is not a valid date or range. */
int match_date_range(const char *pattern, unsigned *from, unsigned *to);

#endif
