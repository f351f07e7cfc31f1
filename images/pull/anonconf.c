/* anonconf.c: cirr-anon's environment table and what it derives: the key,
 * the safelists, lib/anon's options. */
#include "anonconf.h"

#include "envconf.h"
#include "list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Rows over struct anon_conf. */
#define NUM(name, def, lo, hi, field, meaning) ENVCONF_NUM(name, def, lo, hi, struct anon_conf, field, meaning)
#define STR(name, def, field, meaning) ENVCONF_STR(name, def, struct anon_conf, field, meaning)
#define BOOL(name, def, field, meaning) ENVCONF_BOOL(name, def, struct anon_conf, field, meaning)

static const struct envconf_var table[] = {
    STR("ANON_KEY_FILE", NULL, key_file, "the project key: a file of 16-1024 bytes, mode 0600 or 0400 (--key)"),
    BOOL("ANON_RETAIN_DATES", "false", retain_dates,
        "Retain Longitudinal Temporal Information with Modified Dates: shift every date per patient"),
    BOOL("ANON_RETAIN_PATIENT_CHARS", "false", retain_patient_chars,
        "Retain Patient Characteristics: keep sex, age, size, weight, ..."),
    BOOL("ANON_RETAIN_DEVICE", "false", retain_device, "Retain Device Identity: keep station name, serials, ..."),
    BOOL("ANON_CLEAN_DESCRIPTORS", "false", clean_descriptors,
        "Clean Descriptors: keep descriptions found in ANON_DESCRIPTOR_SAFELIST, empty the rest"),
    BOOL("ANON_RETAIN_UIDS", "false", retain_uids, "Retain UIDs: keep every UID as it was (no UID is mapped)"),
    BOOL("ANON_CLEAN_STRUCTURED_CONTENT", "false", clean_structured_content,
        "Clean Structured Content: clean SR content trees item by item (codes, numbers kept) instead of removing them"),
    STR("ANON_DESCRIPTOR_SAFELIST", "", safelist_file, "a file of descriptions (one a line) Clean Descriptors keeps"),
    STR("ANON_KEEP_PRIVATE", "", keep_private,
        "private elements kept: GGGG,EE,CREATOR entries separated by ';' (all others removed)"),
    STR("ANON_ALLOW_CLASSES", "", allow_classes,
        "SOP class UIDs (comma-separated) passed although they usually carry burned-in text"),
    NUM("ANON_JOBS", "0", 0, 64, jobs, "files de-identified at once (threads); 0: two a processor"),
    NUM("ANON_VERBOSE", "0", 0, 1, verbose,
        "1: one line per instance written, not only per instance quarantined or failed"),
};

void anon_conf_help(FILE *out) { envconf_help(out, table, sizeof table / sizeof table[0]); }

/* The safelist file: one description a line, blank lines skipped. */
static int load_safelist(struct anon_conf *c, char *err, size_t cap)
{
    if (!*c->safelist_file) {
        c->safelist = list_split("", '\n');
        return 0;
    }
    FILE *f = fopen(c->safelist_file, "r");
    if (!f)
        return envconf_fail(err, cap, "ANON_DESCRIPTOR_SAFELIST: %s: %s", c->safelist_file, strerror(errno));
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    int too_long = !feof(f);
    fclose(f);
    if (too_long)
        return envconf_fail(err, cap, "ANON_DESCRIPTOR_SAFELIST: %s: longer than 64 KiB", c->safelist_file);
    text[n] = '\0';
    c->safelist = list_split(text, '\n');
    return 0;
}

/* One GGGG,EE,CREATOR entry. */
static int parse_private(const char *entry, struct anon_private_keep *k)
{
    unsigned group, element;
    int used = 0;
    if (sscanf(entry, "%4x,%2x,%n", &group, &element, &used) != 2 || used == 0 || !(group & 1) ||
        group < 0x0009 || element > 0xff || strlen(entry + used) == 0 || strlen(entry + used) >= sizeof k->creator)
        return -1;
    k->group = (uint16_t)group;
    k->element = (uint8_t)element;
    strcpy(k->creator, entry + used);
    return 0;
}

static int load_private(struct anon_conf *c, char *err, size_t cap)
{
    char **entries = list_split(c->keep_private, ';');
    size_t n = list_len(entries);
    c->private_keep = calloc(n ? n : 1, sizeof *c->private_keep);
    if (!c->private_keep) {
        list_free(entries);
        return envconf_fail(err, cap, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (parse_private(entries[i], &c->private_keep[i]) < 0) {
            envconf_fail(err, cap, "ANON_KEEP_PRIVATE: expected GGGG,EE,CREATOR (odd group, EE 00-ff), got '%s'",
                         entries[i]);
            list_free(entries);
            return -1;
        }
    list_free(entries);
    c->options.private_safelist = c->private_keep;
    c->options.n_private_safelist = n;
    return 0;
}

int anon_conf_load(struct anon_conf *c, char *err, size_t cap)
{
    memset(c, 0, sizeof *c);
    if (envconf_load(table, sizeof table / sizeof table[0], c, err, cap) < 0)
        return -1;
    if (anon_key_load(c->key_file, &c->key, err, cap) < 0)
        return -1;
    if (load_safelist(c, err, cap) < 0 || load_private(c, err, cap) < 0)
        return -1;
    c->classes = list_split(c->allow_classes, ',');
    c->options.retain_modified_dates = c->retain_dates;
    c->options.retain_patient_chars = c->retain_patient_chars;
    c->options.retain_device_identity = c->retain_device;
    c->options.clean_descriptors = c->clean_descriptors;
    c->options.retain_uids = c->retain_uids;
    c->options.clean_structured_content = c->clean_structured_content;
    c->options.descriptor_safelist = (const char *const *)c->safelist;
    c->options.allowed_classes = (const char *const *)c->classes;
    return 0;
}

void anon_conf_free(struct anon_conf *c)
{
    list_free(c->safelist);
    list_free(c->classes);
    free(c->private_keep);
    memset(&c->key, 0, sizeof c->key);
}
