/* match.h: DICOM C-FIND attribute matching (PS3.4 C.2.2.2): universal,
 * single value, list of UIDs, wildcard (* and ?) and date/time ranges. */
#ifndef MOCK_MATCH_H
#define MOCK_MATCH_H

/* Does value match pattern for an attribute of this VR ("PN", "DA", ...)?
 * An empty pattern matches everything. Person names and wildcards compare
 * without regard to case. */
int match_value(const char *vr, const char *pattern, const char *value);

/* Split a date range "A-B", "A-" or "-B" into YYYYMMDD numbers (0 = open);
 * a single date gives from = to. Returns 0, or -1 when malformed. */
int match_date_range(const char *pattern, unsigned *from, unsigned *to);

#endif
