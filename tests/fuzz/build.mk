# tests/fuzz: libFuzzer targets for what a peer sends an SCP (issue 11),
# built with clang under ASan/UBSan (`make fuzz-build`) and run for a
# bounded time from a seed corpus made at run time (`make fuzz`):
#
#   dataset_fuzz    a dataset's bytes: the nesting check, DCMTK's parse as
#                   receive.cc drives it, the getters, the spool encoding
#                   read back (Implicit/Explicit VR LE, Explicit BE, Deflated)
#   pdu_watch_fuzz  PduWatch: PDUs, PDVs and command nesting, in any cuts
#   scp_fuzz        the whole SCP on a socketpair: association, DIMSE,
#                   C-ECHO/STORE/FIND/MOVE/GET providers, checked datasets
#   scu_fuzz        the SCU calls against a loopback peer SCP that sends
#                   the input: association answer, C-FIND matches, C-MOVE
#                   and C-GET answers, C-GET's C-STOREs, C-STORE answers.
#                   Not in FUZZ_TARGETS yet: 15,000 runs from seed 1 are
#                   clean but take about 96 s here (156 exec/s: a TCP
#                   association per input), over make test's budget; run
#                   it with make fuzz FUZZ_TARGETS=scu_fuzz
#
# Each aborts when DCMTK nests sequences deeper than the nesting check
# allowed (depth_guard.h), or takes as whole a dataset that accounts for
# more bytes than were sent (value_bytes.h). Seeds: tests/fuzz/seeds.py
# (CT instances from tests/support/dicomgen.py, nested sequences, and PDU
# streams carrying them).
# Inputs that once failed live in tests/fuzz/regressions/<target>/ and are
# replayed before fuzzing; tests/fuzz/run.sh does both.
#
# lib/dicom is compiled again with clang and coverage instrumentation
# (-fsanitize=fuzzer-no-link); DCMTK is Debian's, uninstrumented.
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer's runtime).
#
# By hand: $(BUILD)/fuzz/<target> FILE... runs inputs once (a crash prints
# its report); $(BUILD)/fuzz/<target> DIR... fuzzes. DCMTK has no frame
# pointers: ASAN_OPTIONS=fast_unwind_on_malloc=0 gives whole stacks.
FUZZ_TARGETS  := dataset_fuzz pdu_watch_fuzz scp_fuzz
FUZZ_BINS     := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
FUZZ_CXX      ?= clang++
FUZZ_CXXFLAGS  = $(CXXWARN) $(SAN) -fsanitize=fuzzer-no-link -Ilib/dicom -Itests/fuzz
FUZZ_HELPERS  := $(filter-out %_fuzz.cc,$(wildcard tests/fuzz/*.cc))
FUZZ_OBJS     := $(call objs,fuzz,$(LIBDICOM_SRC) $(FUZZ_HELPERS))

$(BUILD)/obj/fuzz/%.o: %.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c -o $@ $<

$(FUZZ_BINS): $(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/tests/fuzz/%.o $(FUZZ_OBJS)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(SAN) -fsanitize=fuzzer -o $@ $^ $(DCMTK_LIBS) -ldl
