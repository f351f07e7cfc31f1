/* options.c: lib/anon's options by name, for settings that list them
 * (the mux's MUX_DEST_<NAME>_ANON_OPTIONS). */
#include "anon/anon.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Where each named option lives in struct anon_options. */
static int *option_field(struct anon_options *o, const char *name, size_t len)
{
    static const struct { const char *name; size_t offset; } names[] = {
        {"dates", offsetof(struct anon_options, retain_modified_dates)},
        {"characteristics", offsetof(struct anon_options, retain_patient_chars)},
        {"device", offsetof(struct anon_options, retain_device_identity)},
        {"descriptors", offsetof(struct anon_options, clean_descriptors)},
        {"structured-content", offsetof(struct anon_options, clean_structured_content)},
        {"uids", offsetof(struct anon_options, retain_uids)},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && !strncasecmp(names[i].name, name, len))
            return (int *)((char *)o + names[i].offset);
    return NULL;
}

int anon_options_parse(const char *names, struct anon_options *o, char *bad, size_t cap)
{
    bad[0] = '\0';
    for (const char *p = names; *p;) {
        p += strspn(p, " \t,");
        if (!*p)
            break;
        size_t len = strcspn(p, ",");
        while (p[len - 1] == ' ' || p[len - 1] == '\t') /* p[0] is neither */
            len--;
        int *field = option_field(o, p, len);
        if (!field) {
            snprintf(bad, cap, "%.*s", (int)len, p);
            return -1;
        }
        *field = 1;
        p += len;
    }
    return 0;
}
