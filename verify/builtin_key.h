/* builtin_key.h: the public key compiled in at build time (make
 * CIRR_VERIFY_PUBKEY=site.pub; see verify/build.mk), used by `verify`
 * when no --key is given. */
#ifndef CIRR_VERIFY_BUILTIN_KEY_H
#define CIRR_VERIFY_BUILTIN_KEY_H

/* The PEM text, or NULL when this build has none. Static: do not free. */
const char *builtin_key_pem(void);

#endif
