/* srflat.c: see srflat.h. */
#include "srflat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Concepts that are lists even when they occur once, so that a dashboard's
 * path "Name{}" always finds a list. */
static const char *const always_lists[] = {"CT Acquisition", "Irradiation Event X-Ray Data", NULL};

/* The CodeMeaning of item 0 of sequence seq in item, or NULL. */
static const char *code_meaning(const struct json *item, const char *seq)
{
    return json_text(json_get(json_at(json_get(item, seq), 0), "CodeMeaning"));
}

/* A DS value as a JSON number (NULL when it is not a number). */
static struct json *number(const char *ds)
{
    char *end, buf[64];
    if (!ds)
        return NULL;
    double v = strtod(ds, &end);
    while (*end == ' ')
        end++;
    if (end == ds || *end)
        return NULL;
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strspn(buf, "-0123456789.e+") != strlen(buf)) /* inf, nan */
        return NULL;
    return json_new(JSON_NUMBER, buf);
}

static struct json *flatten(const struct json *items, int depth);

/* Value types whose value is the text of one attribute of the item. */
static const struct {
    const char *type, *keyword;
} text_items[] = {
    {"TEXT", "TextValue"}, {"UIDREF", "UID"}, {"DATETIME", "DateTime"},
    {"DATE", "Date"},      {"TIME", "Time"},  {"PNAME", "PersonName"},
};

/* The value of one content item, by its ValueType; NULL for kinds not indexed. */
static struct json *item_value(const struct json *item, int depth)
{
    const char *type = json_text(json_get(item, "ValueType"));
    const char *text = NULL;
    if (!type)
        return NULL;
    if (!strcmp(type, "CONTAINER"))
        return flatten(json_get(item, "ContentSequence"), depth + 1);
    if (!strcmp(type, "NUM")) {
        const struct json *mv = json_at(json_get(item, "MeasuredValueSequence"), 0);
        const char *v = json_text(json_get(mv, "NumericValue"));
        struct json *n = number(v);
        return n ? n : v ? json_new(JSON_STRING, v) : NULL;
    }
    if (!strcmp(type, "CODE"))
        text = code_meaning(item, "ConceptCodeSequence");
    for (size_t i = 0; !text && i < sizeof text_items / sizeof text_items[0]; i++)
        if (!strcmp(type, text_items[i].type))
            text = json_text(json_get(item, text_items[i].keyword));
    return text ? json_new(JSON_STRING, text) : NULL;
}

static int listed(const char *name)
{
    for (int i = 0; always_lists[i]; i++)
        if (!strcmp(name, always_lists[i]))
            return 1;
    return 0;
}

/* Add name = value to obj: a list when the name is listed or repeats. */
static void add(struct json *obj, const char *name, struct json *value)
{
    struct json *have = json_take(obj, name);
    if (!have && !listed(name)) {
        json_put(obj, name, value);
        return;
    }
    if (!have || have->type != JSON_ARRAY) { /* item values are never arrays: an array is our list */
        struct json *list = json_new(JSON_ARRAY, NULL);
        if (have)
            json_append(list, have);
        have = list;
    }
    json_append(have, value);
    json_put(obj, name, have);
}

static struct json *flatten(const struct json *items, int depth)
{
    struct json *obj = json_new(JSON_OBJECT, NULL);
    if (!items || items->type != JSON_ARRAY || depth > 32)
        return obj;
    for (size_t i = 0; i < items->n; i++) {
        const char *name = code_meaning(items->items[i], "ConceptNameCodeSequence");
        struct json *v = name ? item_value(items->items[i], depth) : NULL;
        if (v)
            add(obj, name, v);
    }
    return obj;
}

int srflat_apply(struct json *tags)
{
    const char *type = json_text(json_get(tags, "ValueType"));
    const char *root = code_meaning(tags, "ConceptNameCodeSequence");
    const struct json *content = json_get(tags, "ContentSequence");
    if (!type || strcmp(type, "CONTAINER") || !root || !content || content->type != JSON_ARRAY)
        return 0;
    struct json *flat = flatten(content, 0);
    char *name = strdup(root);
    json_free(json_take(tags, "ContentSequence"));
    json_free(json_take(tags, name ? name : ""));
    json_put(tags, name ? name : "", flat);
    free(name);
    return 1;
}
