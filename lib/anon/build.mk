# lib/anon: PS3.15 de-identification with keyed pseudonyms (doc/anon.md),
# linked by the programs that name $(LIBANON_SRC) in their _SRC.
LIBANON_SRC := $(wildcard lib/anon/*.c)

# HMAC-SHA-256 comes from OpenSSL's libcrypto (Debian's libssl-dev): a
# program that links lib/anon says `_USES := crypto`.

# Unit tests, each on lib/anon + lib/dicom + libcrypto: anon_test (every
# Table E.1-1 action class); anon_read_ts_test (cirr_dicom_dataset_read
# reports each file's own transfer syntax: a unit of lib/dicom kept here,
# issue 14); anon_options_test (the Retain UIDs and Clean Structured
# Content options, option names); anon_walk_test (the deferred walk,
# removal of neighbouring elements, cached pseudonyms, the dictionary
# without private.dic).
ANON_UNIT_TESTS := anon_test anon_read_ts_test anon_options_test anon_walk_test
$(foreach t,$(ANON_UNIT_TESTS),$(eval $(t)_SRC := $(LIBANON_SRC))$(eval $(t)_TOOLCHAIN := dicom)$(eval $(t)_USES := crypto))
