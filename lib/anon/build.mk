# lib/anon: PS3.15 de-identification with keyed pseudonyms (doc/anon.md),
# linked by the programs that name $(LIBANON_SRC) in their _SRC.
LIBANON_SRC := $(wildcard lib/anon/*.c)

# HMAC-SHA-256 comes from OpenSSL's libcrypto (Debian's libssl-dev): a
# program that links lib/anon says `_USES := crypto`.

# Unit tests of every Table E.1-1 action class (cmocka, ASan/UBSan).
anon_test_SRC       := $(LIBANON_SRC)
anon_test_TOOLCHAIN := dicom
anon_test_USES      := crypto

# cirr_dicom_dataset_read reports each file's own transfer syntax (issue 14;
# a unit of lib/dicom kept here: the test needs no lib/anon, but a unit
# test names some sources, and these are at hand).
anon_read_ts_test_SRC       := $(LIBANON_SRC)
anon_read_ts_test_TOOLCHAIN := dicom
anon_read_ts_test_USES      := crypto

# The Retain UIDs and Clean Structured Content options, option names.
anon_options_test_SRC       := $(LIBANON_SRC)
anon_options_test_TOOLCHAIN := dicom
anon_options_test_USES      := crypto

# The deferred walk, removal of neighbouring elements, cached pseudonyms.
anon_walk_test_SRC       := $(LIBANON_SRC)
anon_walk_test_TOOLCHAIN := dicom
anon_walk_test_USES      := crypto
