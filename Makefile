# cirr: build, test and benchmark entry points. `make test` on a fresh
# Debian 12 machine installs what it needs (ci/bootstrap) and runs everything.
#
# Every program declares its build next to its sources, in a build.mk:
#   PROGRAMS += NAME
#   NAME_SRC       := its own sources (lib/ comes with the toolchain)
#   NAME_TOOLCHAIN := musl   static musl, for PID 1 and image helpers that
#                            must run in any image (cirr-init, cirr-pg-init...)
#                     dicom  glibc + DCMTK through lib/dicom (cirr-mux...)
#   NAME_USES      := curl pq   (the sysroot's libraries for musl, Debian's
#                                 for the glibc builds)
# and this file makes, from that one declaration, the normal build
# ($(BUILD)/NAME), the ASan/UBSan build ($(BUILD)/asan/NAME) and, for musl
# programs, a glibc debug build for valgrind ($(BUILD)/debug/NAME).
# The test suites find each one through an environment variable named
# after it: cirr-bridge is CIRR_BRIDGE, get_client CIRR_GET_CLIENT (and
# CIRR_<X>_ASAN, CIRR_<X>_DEBUG for the other builds of musl programs).

BUILD    ?= build
SYSROOT  := $(BUILD)/sysroot
PYTHON   ?= /usr/bin/python3

PROGRAMS :=
include lib/build.mk $(sort $(wildcard lib/*/build.mk)) init/build.mk $(wildcard verify/build.mk) $(sort $(wildcard images/*/build.mk)) tests/build.mk bench/build.mk

# --- Toolchains ------------------------------------------------------------
# Flavours of object files: musl (static, -Os), glibc (services, -O2),
# asan (ASan/UBSan), debug (plain glibc -O1 -g: valgrind cannot see a
# static binary's heap). Header dependencies come from -MMD.
# The checkout's path is never compiled in (debug info, __FILE__): the
# same commit gives the same bytes wherever it is cloned (issue 16).
WARN      := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP -ffile-prefix-map=$(CURDIR)=.
CXXWARN   := -std=c++17 -Wall -Wextra -Werror -MMD -MP -ffile-prefix-map=$(CURDIR)=.
INC       := -Ilib -Ilib/dicom -Iinit
SAN       := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_INC  := $(INC) -I/usr/include/postgresql

musl_CFLAGS    := $(WARN) -Os -ffunction-sections -fdata-sections $(INC) -I$(SYSROOT)/include
glibc_CFLAGS   := $(WARN) -O2 -g -pthread $(HOST_INC)
asan_CFLAGS    := $(WARN) $(SAN) -pthread $(HOST_INC)
debug_CFLAGS   := $(WARN) -g -O1 -pthread $(HOST_INC)
glibc_CXXFLAGS := $(CXXWARN) -O2 -g -Ilib/dicom
asan_CXXFLAGS  := $(CXXWARN) $(SAN) -Ilib/dicom

# What NAME_USES links, per libc.
musl_USE_curl  := -lcurl -lmbedtls -lmbedx509 -lmbedcrypto
musl_USE_pq    := -lpq -lpgcommon_shlib -lpgport_shlib
glibc_USE_curl := -lcurl
glibc_USE_pq   := -lpq
glibc_USE_crypto := -lcrypto
glibc_USE_zlib := -lz
musl_USE_mbedtls  := -lmbedtls -lmbedx509 -lmbedcrypto
glibc_USE_mbedtls := -lmbedtls -lmbedx509 -lmbedcrypto
DCMTK_LIBS     := -ldcmjpls -ldcmjpeg -ldcmimage -ldcmimgle -ldcmnet -ldcmdata -loflog -lofstd -lpthread

objs = $(patsubst %.cc,$(BUILD)/obj/$(1)/%.o,$(patsubst %.c,$(BUILD)/obj/$(1)/%.o,$(2)))
uses = $(foreach u,$(2),$($(1)_USE_$(u)))

$(BUILD)/obj/musl/%.o: %.c $(SYSROOT)/STAMP
	@mkdir -p $(@D)
	musl-gcc $(musl_CFLAGS) $(EXTRA_INC) -c -o $@ $<

define host_flavour
$(BUILD)/obj/$(1)/%.o: %.c
	@mkdir -p $$(@D)
	gcc $$($(1)_CFLAGS) $$(EXTRA_INC) -c -o $$@ $$<
$(BUILD)/obj/$(1)/%.o: %.cc
	@mkdir -p $$(@D)
	g++ $$($(1)_CXXFLAGS) -c -o $$@ $$<
endef
$(foreach f,glibc asan debug,$(eval $(call host_flavour,$(f))))

# libcirr.a: lib/*.c, once per flavour; lib/dicom's objects for glibc and asan.
define libcirr
$(BUILD)/obj/$(1)/libcirr.a: $(call objs,$(1),$(LIBCIRR_SRC))
	@rm -f $$@
	ar rcsD $$@ $$^
endef
$(foreach f,musl glibc asan debug,$(eval $(call libcirr,$(f))))
LIBDICOM = $(call objs,$(1),$(LIBDICOM_SRC))

# --- Programs, from their build.mk ------------------------------------------
define musl_program
$(BUILD)/$(1): $(call objs,musl,$($(1)_SRC)) $(BUILD)/obj/musl/libcirr.a $(SYSROOT)/STAMP
	musl-gcc -static -s -Wl,--gc-sections -L$(SYSROOT)/lib -o $$@ $$(filter %.o %.a,$$^) $(call uses,musl,$($(1)_USES))
$(BUILD)/asan/$(1): $(call objs,asan,$($(1)_SRC)) $(BUILD)/obj/asan/libcirr.a
	@mkdir -p $$(@D)
	gcc $(SAN) -o $$@ $$^ $(call uses,glibc,$($(1)_USES))
$(BUILD)/debug/$(1): $(call objs,debug,$($(1)_SRC)) $(BUILD)/obj/debug/libcirr.a
	@mkdir -p $$(@D)
	gcc -g -o $$@ $$^ $(call uses,glibc,$($(1)_USES))
endef

define dicom_program
$(BUILD)/$(1): $(call objs,glibc,$($(1)_SRC)) $(call LIBDICOM,glibc) $(BUILD)/obj/glibc/libcirr.a
	g++ -o $$@ $$^ $(DCMTK_LIBS) $(call uses,glibc,$($(1)_USES))
$(BUILD)/asan/$(1): $(call objs,asan,$($(1)_SRC)) $(call LIBDICOM,asan) $(BUILD)/obj/asan/libcirr.a
	@mkdir -p $$(@D)
	g++ $(SAN) -o $$@ $$^ $(DCMTK_LIBS) $(call uses,glibc,$($(1)_USES))
endef
$(foreach p,$(PROGRAMS),$(eval $(call $($(p)_TOOLCHAIN)_program,$(p))))

define unit_test
$(BUILD)/obj/asan/tests/unit/$(1).o: EXTRA_INC := $(addprefix -I,$(sort $(dir $($(1)_SRC))))
$(BUILD)/unit/$(1): $(BUILD)/obj/asan/tests/unit/$(1).o $(call objs,asan,$(if $(filter $(1),$(UNIT_LIB_TESTS)),,$(or $($(1)_SRC),$(UNIT_DEFAULT_SRC)))) $(BUILD)/obj/asan/libcirr.a \
    $(if $($(1)_TOOLCHAIN),$(call LIBDICOM,asan))
	@mkdir -p $$(@D)
	$(if $($(1)_TOOLCHAIN),g++,gcc) $(SAN) -o $$@ $$^ $(call uses,glibc,$(UNIT_DEFAULT_USES) $($(1)_USES)) -lcmocka \
	  $(if $($(1)_TOOLCHAIN),$(DCMTK_LIBS))
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test,$(t))))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- Entry points -------------------------------------------------------------
MUSL_PROGRAMS  := $(foreach p,$(PROGRAMS),$(if $(filter musl,$($(p)_TOOLCHAIN)),$(p)))
DICOM_PROGRAMS := $(foreach p,$(PROGRAMS),$(if $(filter dicom,$($(p)_TOOLCHAIN)),$(p)))
IMAGES         := $(patsubst %/image.conf,%,$(sort $(wildcard images/*/image.conf)))
UNIT_BINS      := $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))

.PHONY: all programs asan deps sysroot init init-asan init-debug mux mockpacs unit \
        test test-unit test-manuals test-behaviour test-dicom test-images test-system test-cluster images \
        demo demo-down demo-init pin-digests release bench-init bench-mux bench-mockpacs bench-images bench-watcher bench-anon bench-bridge clean

all: programs
programs: $(addprefix $(BUILD)/,$(PROGRAMS))
asan: $(addprefix $(BUILD)/asan/,$(PROGRAMS))

deps:
	@sh ci/bootstrap

sysroot: $(SYSROOT)/STAMP
$(SYSROOT)/STAMP: ci/sysroot
	sh ci/sysroot $(BUILD)

init: $(BUILD)/cirr-init
init-asan: $(BUILD)/asan/cirr-init
init-debug: $(BUILD)/debug/cirr-init
mux: $(BUILD)/cirr-mux
mockpacs: $(BUILD)/cirr-mockpacs
unit: $(UNIT_BINS)

test-unit: unit
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Every program's path, for the suites that run them: CIRR_<NAME> (see the
# header); ASAN_PROGRAM_ENV points the DICOM programs' variables at their
# ASan/UBSan builds.
program_var = CIRR_$(shell echo '$(patsubst cirr-%,%,$(1))' | tr 'a-z-' 'A-Z_')
PROGRAM_ENV = $(foreach p,$(PROGRAMS),$(call program_var,$(p))=$(abspath $(BUILD)/$(p)) \
  $(if $(filter musl,$($(p)_TOOLCHAIN)),$(call program_var,$(p))_ASAN=$(abspath $(BUILD)/asan/$(p)) \
  $(call program_var,$(p))_DEBUG=$(abspath $(BUILD)/debug/$(p))))
ASAN_PROGRAM_ENV = $(foreach p,$(DICOM_PROGRAMS),$(call program_var,$(p))=$(abspath $(BUILD)/asan/$(p)))

# Every program's --help against the Configuration section of its manual.
test-manuals: programs
	$(PROGRAM_ENV) $(PYTHON) -m pytest -q tests/manuals

# (and cirr-splunk-setup, a glibc one-shot tested against a double of Splunk's API)
test-behaviour: $(foreach p,$(MUSL_PROGRAMS),$(BUILD)/$(p) $(BUILD)/asan/$(p) $(BUILD)/debug/$(p)) \
                $(BUILD)/cirr-splunk-setup $(BUILD)/asan/cirr-splunk-setup
	$(PROGRAM_ENV) $(PYTHON) -m pytest -q tests/behaviour

# mockpacs and mux against DCMTK, GDCM, Orthanc, dciodvfy and pydicom on loopback.
# The tests mostly wait on their peers: TEST_JOBS pytest workers (xdist)
# run them side by side, one test file a worker (each starts its own
# servers on free ports and folders).
TEST_JOBS ?= 3
test-dicom: $(addprefix $(BUILD)/,$(DICOM_PROGRAMS)) $(addprefix $(BUILD)/asan/,$(DICOM_PROGRAMS))
	$(PROGRAM_ENV) $(PYTHON) -m pytest -q -n $(TEST_JOBS) --dist loadfile tests/dicom
	@echo "test-dicom: again with the ASan/UBSan builds (valgrind sessions ran above: the two do not mix)"
	$(PROGRAM_ENV) $(ASAN_PROGRAM_ENV) $(PYTHON) -m pytest -q -n $(TEST_JOBS) --dist loadfile -k "not valgrind" tests/dicom

# Images: assembled by rootfs/imagebuild.py from each images/<name>/image.conf.
# (what they hold: cirr-init, cirr-verify and every build/<program> their
# image.conf names)
IMAGE_PROGRAMS := cirr-init cirr-verify $(patsubst build/%,%,$(shell cat $(addsuffix /image.conf,$(IMAGES)) | grep -o '\bbuild/[A-Za-z0-9_-]*' | sort -u))
images: $(addprefix $(BUILD)/,$(IMAGE_PROGRAMS))
	$(PYTHON) rootfs/imagebuild.py --out $(BUILD)/images $(IMAGES)

# build/release/ and build/release.tar: images, DIGESTS, SBOMs, stack files
# and env examples, and a MANIFEST signed with RELEASE_KEY (a private key
# file; without it, a development key made once in $(BUILD)/keys/).
RELEASE_KEY ?=
release: images $(BUILD)/cirr-verify
	$(PYTHON) -m ci.release $(BUILD) $(RELEASE_KEY)

# Docker tests of the images (the bootstrap installs and starts Docker).
test-images: images
	CIRR_IMAGES=$(abspath $(BUILD)/images) $(PYTHON) -m pytest -q tests/images

# The stacks: files checked, then deployed on a single-node swarm.
test-system: release
	$(PYTHON) -m pytest -q -s tests/system

# The cirr and mock stacks on a real three-node swarm on this machine:
# three more Docker engines in namespaces of their own, provisioned by the
# cloud-init scripts from the signed release (tests/cluster, doc/cloud-init.md).
test-cluster: release
	$(PYTHON) -m pytest -q -s --durations=0 tests/cluster

# The README's test command.
test: deps
	$(MAKE) sysroot
	$(MAKE) test-unit
	$(MAKE) test-manuals
	$(MAKE) test-behaviour
	$(MAKE) test-dicom
	$(MAKE) fuzz FUZZ_RUNS=$(TEST_FUZZ_RUNS)
	$(MAKE) test-images
	$(MAKE) test-system
	$(MAKE) test-cluster

# The README's first command: the RIH CIRR on a single-node swarm
# (STACK=opendose or STACK=siren: that cluster instead).
demo: deps
	$(MAKE) sysroot
	$(MAKE) release
	$(PYTHON) -m ci.demo $(if $(STACK),--stack $(STACK))

demo-down:
	$(PYTHON) -m ci.demo down

# Adds registry digests to the admin stack's external images (needs a
# registry: Docker Hub, or REGISTRY_URL for a mirror).
pin-digests:
	ci/pin-digests $(if $(REGISTRY_URL),--registry-url $(REGISTRY_URL)) stacks/rih/admin-stack.yml

# A short tour of cirr-init alone.
demo-init: deps
	$(MAKE) sysroot
	$(MAKE) init
	sh ci/demo-init $(BUILD)/cirr-init

bench-mockpacs: deps $(BUILD)/cirr-mockpacs $(BUILD)/find_bench
	$(PYTHON) -m bench.mockpacs_bench

bench-mux: deps $(BUILD)/cirr-mux $(BUILD)/cirr-mockpacs
	$(PYTHON) -m bench.mux_bench

bench-watcher: deps $(BUILD)/cirr-watcher
	$(PYTHON) -m bench.watcher_bench

bench-bridge: deps $(BUILD)/cirr-bridge $(BUILD)/cirr-mockpacs $(BUILD)/find_bench $(BUILD)/move_bench
	$(PYTHON) -m bench.bridge_bench

bench-anon: deps $(BUILD)/cirr-anon
	CIRR_ANON=$(abspath $(BUILD)/cirr-anon) $(PYTHON) -m bench.anon_bench

bench-images: deps images
	$(PYTHON) -m bench.images_bench

bench-init: deps $(BUILD)/cirr-init
	$(PYTHON) -m bench.init_bench $(abspath $(BUILD)/cirr-init)

# Everything but the sysroot (slow to rebuild) and Docker's images.
clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/debug $(BUILD)/unit $(addprefix $(BUILD)/,$(PROGRAMS))

# --- Fuzzing ------------------------------------------------------------------
# libFuzzer targets for the PDU and dataset paths under ASan/UBSan (clang),
# each run FUZZ_SECONDS from a seed corpus after replaying its regressions.
include tests/fuzz/build.mk
FUZZ_SECONDS ?= 40
# make test: a fixed seed and this many inputs per target (tests/fuzz/run.sh).
TEST_FUZZ_RUNS ?= 15000
.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	PYTHON=$(PYTHON) FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
