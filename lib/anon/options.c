/* options.c: lib/anon's options by name, for settings that list them
 * (the mux's MUX_DEST_<NAME>_ANON_OPTIONS). */
#include "anon/anon.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The option of o that name (len bytes, any case) stands for, or NULL. */
static int *option_field(struct anon_options *o, const char *name, size_t len)
{
    static const char *const names[] = {"dates", "characteristics", "device", "descriptors",
                                        "structured-content", "uids"};
    int *fields[] = {&o->retain_modified_dates, &o->retain_patient_chars, &o->retain_device_identity,
                     &o->clean_descriptors, &o->clean_structured_content, &o->retain_uids};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
            return fields[i];
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
