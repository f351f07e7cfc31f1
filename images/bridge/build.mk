# cirr-bridge: the PACS query/retrieve bridge (doc/bridge.md).
PROGRAMS += cirr-bridge
cirr-bridge_SRC       := $(wildcard images/bridge/*.c)
cirr-bridge_TOOLCHAIN := dicom
