# cirr-mux: the DICOM ingress multiplexer (doc/mux.md).
PROGRAMS += cirr-mux
cirr-mux_SRC       := $(wildcard images/mux/*.c) $(LIBANON_SRC)
cirr-mux_TOOLCHAIN := dicom
cirr-mux_USES      := crypto zlib
# zlib's CRC32 checks the spool's journal records (not in the Makefile's table yet)
glibc_USE_zlib     ?= -lz
