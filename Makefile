# cirr: build, test and benchmark entry points. `make test` on a fresh
# Debian 12 machine installs what it needs (ci/bootstrap) and runs everything.

BUILD      ?= build
SYSROOT    := $(BUILD)/sysroot
PYTHON     ?= /usr/bin/python3
WARN       := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
LIB_SRC    := $(wildcard lib/*.c)
INIT_SRC   := $(wildcard init/*.c) $(LIB_SRC)
INIT_HDR   := $(wildcard init/*.h lib/*.h)
INC        := -Iinit -Ilib

# Static musl build: the binary every image runs as PID 1.
MUSL_CFLAGS  := $(WARN) -Os -ffunction-sections -fdata-sections $(INC) -I$(SYSROOT)/include
MUSL_LDFLAGS := -static -s -Wl,--gc-sections -L$(SYSROOT)/lib
MUSL_LIBS    := -lcurl -lmbedtls -lmbedx509 -lmbedcrypto -lpq -lpgcommon_shlib -lpgport_shlib

# Sanitizer build (glibc, Debian's libcurl and libpq): same sources, same tests.
ASAN_FLAGS := $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=all $(INC) -I/usr/include/postgresql
ASAN_LIBS  := -lcurl -lpq

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/*_test.c))
# Unit tests of image helpers link those helpers' sources instead of init's.
ORTHANC_ENV_SRC := images/orthanc/orthanc_env.c images/orthanc/jsontree.c lib/strbuf.c lib/log.c
PGTUNE_SRC      := images/postgres/pgtune.c

.PHONY: pin-digests all demo demo-down demo-init deps sysroot test-system mux bench-mux mockpacs test-dicom bench-mockpacs images test-images bench-images init init-asan init-debug unit test test-unit test-behaviour bench-init demo clean

all: init

deps:
	@sh ci/bootstrap

sysroot: $(SYSROOT)/STAMP
$(SYSROOT)/STAMP: ci/sysroot
	sh ci/sysroot $(BUILD)

init: $(BUILD)/cirr-init
$(BUILD)/cirr-init: $(INIT_SRC) $(INIT_HDR) $(SYSROOT)/STAMP
	musl-gcc $(MUSL_CFLAGS) -o $@ $(INIT_SRC) $(MUSL_LDFLAGS) $(MUSL_LIBS)

init-asan: $(BUILD)/asan/cirr-init
$(BUILD)/asan/cirr-init: $(INIT_SRC) $(INIT_HDR)
	@mkdir -p $(@D)
	gcc $(ASAN_FLAGS) -o $@ $(INIT_SRC) $(ASAN_LIBS)

# Plain glibc debug build, for valgrind (which cannot see a static binary's heap).
init-debug: $(BUILD)/debug/cirr-init
$(BUILD)/debug/cirr-init: $(INIT_SRC) $(INIT_HDR)
	@mkdir -p $(@D)
	gcc $(WARN) -g -O1 $(INC) -I/usr/include/postgresql -o $@ $(INIT_SRC) $(ASAN_LIBS)

# Each unit test links the init sources it needs but main.c.
UNIT_DEPS := $(filter-out init/main.c,$(INIT_SRC))
$(BUILD)/unit/%: tests/unit/%.c $(UNIT_DEPS) $(INIT_HDR)
	@mkdir -p $(@D)
	gcc $(ASAN_FLAGS) -o $@ $< $(UNIT_DEPS) $(ASAN_LIBS) -lcmocka

$(BUILD)/unit/orthanc_env_test: tests/unit/orthanc_env_test.c $(ORTHANC_ENV_SRC) $(wildcard images/orthanc/*.h)
	@mkdir -p $(@D)
	gcc $(ASAN_FLAGS) -Iimages/orthanc -o $@ $< $(ORTHANC_ENV_SRC) -lcmocka

$(BUILD)/unit/pgtune_test: tests/unit/pgtune_test.c $(PGTUNE_SRC) images/postgres/pgtune.h
	@mkdir -p $(@D)
	gcc $(ASAN_FLAGS) -Iimages/postgres -o $@ $< $(PGTUNE_SRC) -lcmocka

$(BUILD)/unit/match_test: tests/unit/match_test.c images/mockpacs/match.c images/mockpacs/match.h
	@mkdir -p $(@D)
	gcc $(ASAN_FLAGS) -Iimages/mockpacs -o $@ $< images/mockpacs/match.c -lcmocka

unit: $(UNIT_TESTS)

test-unit: unit
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

test-behaviour: $(BUILD)/cirr-init $(BUILD)/asan/cirr-init $(BUILD)/debug/cirr-init
	CIRR_INIT=$(abspath $(BUILD)/cirr-init) CIRR_INIT_ASAN=$(abspath $(BUILD)/asan/cirr-init) \
	  CIRR_INIT_DEBUG=$(abspath $(BUILD)/debug/cirr-init) \
	  $(PYTHON) -m pytest -q tests/behaviour

# lib/dicom: the C API over DCMTK (the only C++), and the programs on it.
CXX_WARN   := -std=c++17 -Wall -Wextra -Werror
DICOM_SRC  := $(wildcard lib/dicom/*.cc)
DICOM_HDR  := $(wildcard lib/dicom/*.h)
DCMTK_LIBS := -ldcmjpls -ldcmjpeg -ldcmimage -ldcmimgle -ldcmnet -ldcmdata -loflog -lofstd -lpthread
MOCK_SRC   := $(wildcard images/mockpacs/*.c) $(LIB_SRC)
SVC_CFLAGS := $(WARN) -O2 -g -Ilib -Ilib/dicom -pthread

$(BUILD)/dicom/%.o: lib/dicom/%.cc $(DICOM_HDR)
	@mkdir -p $(@D)
	g++ $(CXX_WARN) -O2 -g -Ilib/dicom -c -o $@ $<

DICOM_OBJ := $(patsubst lib/dicom/%.cc,$(BUILD)/dicom/%.o,$(DICOM_SRC))

MOCK_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(MOCK_SRC))
$(BUILD)/obj/%.o: %.c $(wildcard images/mockpacs/*.h lib/*.h) lib/dicom/cirr_dicom.h
	@mkdir -p $(@D)
	gcc $(SVC_CFLAGS) -c -o $@ $<

$(BUILD)/cirr-mockpacs: $(MOCK_OBJ) $(DICOM_OBJ)
	g++ -o $@ $(MOCK_OBJ) $(DICOM_OBJ) $(DCMTK_LIBS)

mockpacs: $(BUILD)/cirr-mockpacs

MUX_SRC := $(wildcard images/mux/*.c) $(LIB_SRC)
MUX_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(MUX_SRC))
$(BUILD)/obj/images/mux/%.o: images/mux/%.c $(wildcard images/mux/*.h lib/*.h) lib/dicom/cirr_dicom.h
	@mkdir -p $(@D)
	gcc $(SVC_CFLAGS) -c -o $@ $<

$(BUILD)/cirr-mux: $(MUX_OBJ) $(DICOM_OBJ)
	g++ -o $@ $(MUX_OBJ) $(DICOM_OBJ) $(DCMTK_LIBS)

mux: $(BUILD)/cirr-mux

# Image helpers: static musl programs copied into images.
$(BUILD)/images-bin/cirr-pg-init: images/postgres/pg_init.c images/postgres/pgtune.c images/postgres/pgtune.h lib/log.c lib/strbuf.c lib/atomicfile.c $(SYSROOT)/STAMP
	@mkdir -p $(@D)
	musl-gcc $(MUSL_CFLAGS) -Iimages/postgres -o $@ images/postgres/pg_init.c images/postgres/pgtune.c lib/log.c lib/strbuf.c lib/atomicfile.c -static -s

ORTHANC_SETUP_SRC := images/orthanc/orthanc_setup.c images/orthanc/orthanc_env.c images/orthanc/jsontree.c lib/log.c lib/strbuf.c lib/atomicfile.c
$(BUILD)/images-bin/cirr-orthanc-setup: $(ORTHANC_SETUP_SRC) $(wildcard images/orthanc/*.h) $(SYSROOT)/STAMP
	@mkdir -p $(@D)
	musl-gcc $(MUSL_CFLAGS) -Iimages/orthanc -o $@ $(ORTHANC_SETUP_SRC) $(MUSL_LDFLAGS) -lpq -lpgcommon_shlib -lpgport_shlib

IMAGE_BINS := $(BUILD)/images-bin/cirr-pg-init $(BUILD)/images-bin/cirr-orthanc-setup
IMAGES     := images/postgres images/orthanc images/mockpacs images/mux

images: $(BUILD)/cirr-init $(IMAGE_BINS) $(BUILD)/cirr-mockpacs $(BUILD)/cirr-mux
	$(PYTHON) rootfs/imagebuild.py --out $(BUILD)/images $(IMAGES)

# mockpacs and mux against DCMTK, GDCM, Orthanc, dciodvfy and pydicom on loopback.
$(BUILD)/get_client: tests/dicom/get_client.c $(DICOM_OBJ)
	gcc $(SVC_CFLAGS) -c -o $(BUILD)/obj/get_client.o tests/dicom/get_client.c
	g++ -o $@ $(BUILD)/obj/get_client.o $(DICOM_OBJ) $(DCMTK_LIBS)

test-dicom: $(BUILD)/cirr-mockpacs $(BUILD)/cirr-mux $(BUILD)/get_client \
            $(BUILD)/asan/cirr-mockpacs $(BUILD)/asan/cirr-mux $(BUILD)/asan/get_client
	CIRR_MOCKPACS=$(abspath $(BUILD)/cirr-mockpacs) CIRR_MUX=$(abspath $(BUILD)/cirr-mux) \
	  CIRR_GET_CLIENT=$(abspath $(BUILD)/get_client) \
	  $(PYTHON) -m pytest -q tests/dicom
	@echo "test-dicom: again with the ASan/UBSan builds (valgrind sessions ran above: the two do not mix)"
	CIRR_MOCKPACS=$(abspath $(BUILD)/asan/cirr-mockpacs) CIRR_MUX=$(abspath $(BUILD)/asan/cirr-mux) \
	  CIRR_GET_CLIENT=$(abspath $(BUILD)/asan/get_client) \
	  $(PYTHON) -m pytest -q -k "not valgrind" tests/dicom

# Sanitizer builds of the services and lib/dicom (glibc, Debian's DCMTK).
SVC_ASAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

$(BUILD)/asan/dicom/%.o: lib/dicom/%.cc $(DICOM_HDR)
	@mkdir -p $(@D)
	g++ $(CXX_WARN) $(SVC_ASAN) -Ilib/dicom -c -o $@ $<

$(BUILD)/asan/obj/%.o: %.c $(wildcard images/mockpacs/*.h images/mux/*.h lib/*.h) lib/dicom/cirr_dicom.h
	@mkdir -p $(@D)
	gcc $(WARN) $(SVC_ASAN) -Ilib -Ilib/dicom -pthread -c -o $@ $<

ASAN_DICOM_OBJ := $(patsubst lib/dicom/%.cc,$(BUILD)/asan/dicom/%.o,$(DICOM_SRC))

$(BUILD)/asan/cirr-mockpacs: $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(MOCK_SRC)) $(ASAN_DICOM_OBJ)
	g++ $(SVC_ASAN) -o $@ $^ $(DCMTK_LIBS)

$(BUILD)/asan/cirr-mux: $(patsubst %.c,$(BUILD)/asan/obj/%.o,$(MUX_SRC)) $(ASAN_DICOM_OBJ)
	g++ $(SVC_ASAN) -o $@ $^ $(DCMTK_LIBS)

$(BUILD)/asan/get_client: $(BUILD)/asan/obj/tests/dicom/get_client.o $(ASAN_DICOM_OBJ)
	g++ $(SVC_ASAN) -o $@ $^ $(DCMTK_LIBS)

# Docker tests of the images (the bootstrap installs and starts Docker).
test-images: images
	CIRR_IMAGES=$(abspath $(BUILD)/images) $(PYTHON) -m pytest -q tests/images

# The stacks: files checked, then deployed on a single-node swarm.
test-system: images
	$(PYTHON) -m pytest -q -s tests/system

# The README's test command.
test: deps
	$(MAKE) sysroot
	$(MAKE) test-unit
	$(MAKE) test-behaviour
	$(MAKE) test-dicom
	$(MAKE) test-images
	$(MAKE) test-system

# The README's first command: the RIH CIRR on a single-node swarm.
demo: deps
	$(MAKE) sysroot
	$(MAKE) images
	$(PYTHON) ci/demo.py

demo-down:
	$(PYTHON) ci/demo.py down

# Adds registry digests to the admin stack's external images (needs a
# registry: Docker Hub, or REGISTRY_URL for a mirror).
pin-digests:
	stacks/pin-digests $(if $(REGISTRY_URL),--registry-url $(REGISTRY_URL)) stacks/rih/admin-stack.yml

# A short tour of cirr-init alone.
demo-init: deps
	$(MAKE) sysroot
	$(MAKE) init
	sh ci/demo-init $(BUILD)/cirr-init

$(BUILD)/find_bench: bench/find_bench.c $(DICOM_OBJ)
	gcc $(SVC_CFLAGS) -c -o $(BUILD)/obj/find_bench.o bench/find_bench.c
	g++ -o $@ $(BUILD)/obj/find_bench.o $(DICOM_OBJ) $(DCMTK_LIBS)

bench-mockpacs: deps $(BUILD)/cirr-mockpacs $(BUILD)/find_bench
	$(PYTHON) bench/mockpacs_bench.py

bench-mux: deps $(BUILD)/cirr-mux $(BUILD)/cirr-mockpacs
	$(PYTHON) bench/mux_bench.py

bench-images: deps images
	$(PYTHON) bench/images_bench.py

bench-init: deps $(BUILD)/cirr-init
	$(PYTHON) bench/init_bench.py $(abspath $(BUILD)/cirr-init)

clean:
	rm -rf $(BUILD)/cirr-init $(BUILD)/asan $(BUILD)/unit
