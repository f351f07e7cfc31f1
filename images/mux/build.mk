# cirr-mux: the DICOM ingress multiplexer (doc/mux.md).
PROGRAMS += cirr-mux
cirr-mux_SRC       := $(wildcard images/mux/*.c) $(LIBANON_SRC)
cirr-mux_TOOLCHAIN := dicom
cirr-mux_USES      := crypto
