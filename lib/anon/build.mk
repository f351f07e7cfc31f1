# lib/anon: PS3.15 de-identification with keyed pseudonyms (doc/anon.md),
# linked by the programs that name $(LIBANON_SRC) in their _SRC.
LIBANON_SRC := $(wildcard lib/anon/*.c)

# HMAC-SHA-256 comes from OpenSSL's libcrypto (Debian's libssl-dev): a
# program that links lib/anon says `_USES := crypto`. (The lead may move
# this line into the Makefile beside glibc_USE_curl.)
glibc_USE_crypto := -lcrypto

# Unit tests of every Table E.1-1 action class (cmocka, ASan/UBSan). The
# unit-test rule links only UNIT_DEFAULT_USES, so libcrypto is named as a
# prerequisite: it lands in the link line with the objects.
UNIT_LIBCRYPTO := $(firstword $(wildcard /usr/lib/*/libcrypto.so /usr/lib/libcrypto.so))
anon_test_SRC       := $(LIBANON_SRC)
anon_test_TOOLCHAIN := dicom
$(BUILD)/unit/anon_test: $(UNIT_LIBCRYPTO)
