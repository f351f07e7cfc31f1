/* words.h: a service-file value cut into words (a command line) or items (a
 * comma list) first, and only then its ${VAR} references expanded, inside
 * each word: a variable's value is always part of one word, however many
 * spaces, quotes or commas it holds.
 *
 *   words   separated by spaces or tabs; "..." groups (a backslash escapes
 *           the next character inside); a ${...} reference is part of the
 *           word it is in, with whatever its default holds; a word that was
 *           not quoted and expands to nothing is dropped (as in sh), ""
 *           gives an empty word
 *   items   separated by commas; spaces around an item trimmed after
 *           expansion; empty items dropped */
#ifndef CIRR_WORDS_H
#define CIRR_WORDS_H

#include "template.h"

#include <stddef.h>

/* Each returns a NULL-terminated malloc'd vector (free with list_free), or
 * NULL with one line in err: an unterminated quote, or what the template
 * language said (template.h). */
char **words_expand(const char *s, const struct template_env *env, char *err, size_t cap);
char **words_expand_items(const char *s, const struct template_env *env, char *err, size_t cap);

#endif
