# cirr-verify: release integrity: keys, signed manifests, files and images
# checked against them, and the seed's md5 lists (doc/verify.md).
PROGRAMS += cirr-verify
cirr-verify_SRC       := $(wildcard verify/*.c)
cirr-verify_TOOLCHAIN := musl
cirr-verify_USES      := mbedtls

# A public key compiled in: `make CIRR_VERIFY_PUBKEY=site.pub ...` turns the
# PEM file into a header (verify/pubkey-header.sh); without it the header
# says "none" and `verify` needs --key. The header is rewritten only when
# its text changes, so builtin_key.o is rebuilt exactly then.
VERIFY_GEN := $(BUILD)/gen/verify
VERIFY_KEY_OBJS := $(foreach f,musl glibc asan debug,$(BUILD)/obj/$(f)/verify/builtin_key.o)
$(VERIFY_KEY_OBJS): EXTRA_INC := -I$(VERIFY_GEN)
$(VERIFY_KEY_OBJS): $(VERIFY_GEN)/builtin_pubkey.h
$(VERIFY_GEN)/builtin_pubkey.h: verify/pubkey-header.sh verify-pubkey-always
	@sh verify/pubkey-header.sh '$(CIRR_VERIFY_PUBKEY)' $@
.PHONY: verify-pubkey-always
