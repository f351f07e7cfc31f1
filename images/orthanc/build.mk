# cirr-orthanc-setup: writes Orthanc's configuration and creates its
# PostgreSQL database before Orthanc starts (doc/orthanc.md).
PROGRAMS += cirr-orthanc-setup
cirr-orthanc-setup_SRC       := $(wildcard images/orthanc/*.c)
cirr-orthanc-setup_TOOLCHAIN := musl
cirr-orthanc-setup_USES      := pq
