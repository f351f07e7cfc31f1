# lib/anon: PS3.15 de-identification with keyed pseudonyms (doc/anon.md),
# linked by the programs that name $(LIBANON_SRC) in their _SRC.
LIBANON_SRC := $(wildcard lib/anon/*.c)

# HMAC-SHA-256 comes from OpenSSL's libcrypto (Debian's libssl-dev): a
# program that links lib/anon says `_USES := crypto`.

# Unit tests of every Table E.1-1 action class (cmocka, ASan/UBSan).
anon_test_SRC       := $(LIBANON_SRC)
anon_test_TOOLCHAIN := dicom
anon_test_USES      := crypto
