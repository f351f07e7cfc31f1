/* builtin_key.c: the compiled-in public key, from the header that
 * verify/pubkey-header.sh generates into $(BUILD)/gen/verify. */
#include "builtin_key.h"

#include "builtin_pubkey.h"

#include <stddef.h>

const char *builtin_key_pem(void)
{
#ifdef BUILTIN_PUBKEY_PEM
    return BUILTIN_PUBKEY_PEM;
#else
    return NULL;
#endif
}
