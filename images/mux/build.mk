# cirr-mux: the DICOM ingress multiplexer (doc/mux.md).
PROGRAMS += cirr-mux
cirr-mux_SRC       := $(wildcard images/mux/*.c) $(LIBANON_SRC)
cirr-mux_TOOLCHAIN := dicom
# zlib: the CRC32 of the spool journal's records
cirr-mux_USES      := crypto zlib
