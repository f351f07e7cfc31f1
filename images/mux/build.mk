# cirr-mux: the DICOM ingress multiplexer (doc/mux.md).
PROGRAMS += cirr-mux
cirr-mux_SRC       := $(wildcard images/mux/*.c)
cirr-mux_TOOLCHAIN := dicom
