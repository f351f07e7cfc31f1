# Test programs and unit tests.

# get_client: a C-GET SCU on lib/dicom, driven by tests/dicom.
PROGRAMS += get_client
get_client_SRC       := tests/dicom/get_client.c
get_client_TOOLCHAIN := dicom

# Unit tests (cmocka, ASan/UBSan): tests/unit/<name>_test.c links libcirr;
# a test of lib/<name>.c links nothing else, any other test init's sources
# (but main.c) unless it names its own below. A test whose
# <name>_TOOLCHAIN is dicom also links lib/dicom and DCMTK (with g++);
# <name>_USES adds libraries as for programs.
UNIT_TESTS      := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/*_test.c))
UNIT_LIB_TESTS  := $(filter $(patsubst lib/%.c,%_test,$(LIBCIRR_SRC)),$(UNIT_TESTS))
UNIT_DEFAULT_SRC       := $(filter-out init/main.c,$(cirr-init_SRC))
UNIT_DEFAULT_USES      := curl pq
orthanc_env_test_SRC   := images/orthanc/orthanc_env.c images/orthanc/jsontree.c
pgtune_test_SRC        := images/postgres/pgtune.c
pg_settings_test_SRC   := images/postgres/pg_settings.c
match_test_SRC         := images/mockpacs/match.c
jobs_test_SRC          := images/bridge/jobs.c
jobs_test_TOOLCHAIN    := dicom
