/* envconf.h: reading settings from the environment, with one error line
 * that names the variable.
 *
 * Each program declares its settings once, as a table (struct envconf_var):
 * name, default, range, the field it fills, and a one-line meaning. The
 * same table loads the settings (envconf_load) and prints the program's
 * --help (envconf_help), so the two cannot drift apart; the tests hold the
 * configuration section of each program's manual to the --help output. */
#ifndef CIRR_ENVCONF_H
#define CIRR_ENVCONF_H

#include <stddef.h>
#include <stdio.h>

enum envconf_type {
    ENVCONF_NUMBER, /* a whole number in [min, max] into an unsigned or unsigned long long */
    ENVCONF_TEXT,   /* text into a char array; max = longest length (0: the array's) */
    ENVCONF_STRING, /* text into a const char * (the environment's own storage) */
    ENVCONF_BOOLEAN, /* true/false, yes/no, on/off, 1/0 (any case) into an int: 1 or 0 */
};

struct envconf_var {
    const char *name;
    const char *fallback;   /* used when unset or empty; NULL: the variable is required */
    enum envconf_type type;
    unsigned long long min, max;
    size_t offset, size;    /* where in the settings struct, and the field's size */
    const char *meaning;    /* one line for --help and the manual */
};

#define ENVCONF_FIELD(type, field) offsetof(type, field), sizeof(((type *)0)->field)
/* A number in [lo, hi] into field (unsigned or unsigned long long). */
#define ENVCONF_NUM(name, def, lo, hi, type, field, meaning) \
    {name, def, ENVCONF_NUMBER, lo, hi, ENVCONF_FIELD(type, field), meaning}
/* Text of at most maxlen characters (0: what the array holds) into a char array. */
#define ENVCONF_TXT(name, def, maxlen, type, field, meaning) \
    {name, def, ENVCONF_TEXT, 0, maxlen, ENVCONF_FIELD(type, field), meaning}
/* Text of any length into a const char * field. */
#define ENVCONF_STR(name, def, type, field, meaning) \
    {name, def, ENVCONF_STRING, 0, 0, ENVCONF_FIELD(type, field), meaning}

/* true/false, yes/no, on/off or 1/0 (any case) into an int field. */
#define ENVCONF_BOOL(name, def, type, field, meaning) \
    {name, def, ENVCONF_BOOLEAN, 0, 1, ENVCONF_FIELD(type, field), meaning}

/* Fill settings from the n variables of table, in order. 0, or -1 with one
 * line in err naming the first variable at fault. */
int envconf_load(const struct envconf_var *table, size_t n, void *settings, char *err, size_t cap);

/* Print the table as the "Environment" part of a --help text: one line a
 * variable with its default (or "required") and range ([min-max] for a
 * number, [true/false] for a boolean), then its meaning. */
void envconf_help(FILE *out, const struct envconf_var *table, size_t n);

/* The variable's value, or fallback when it is unset or empty. */
const char *envconf_get(const char *name, const char *fallback);

/* A whole number from min to max, in decimal digits only (fallback when
 * unset): 0, or -1 with "NAME: expected a number from MIN to MAX, got
 * 'VALUE'" in err ("NAME is not set" when unset without a fallback). */
int envconf_number(const char *name, const char *fallback, unsigned long long min,
                   unsigned long long max, unsigned long long *out, char *err, size_t cap);

/* 1 for true, yes, on or 1; 0 for false, no, off or 0 (any case); -1 for
 * anything else. */
int envconf_bool(const char *text);

/* Format one line into err and return -1. */
int envconf_fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
