# cirr-mockpacs: the test PACS with a random study generator (doc/mockpacs.md).
PROGRAMS += cirr-mockpacs
cirr-mockpacs_SRC       := $(wildcard images/mockpacs/*.c)
cirr-mockpacs_TOOLCHAIN := dicom
