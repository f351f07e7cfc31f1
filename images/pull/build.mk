# cirr-anon: de-identifies DICOM files and folders with lib/anon (doc/anon.md).
PROGRAMS += cirr-anon
cirr-anon_SRC       := images/pull/anon_main.c images/pull/anonconf.c images/pull/anonfile.c images/pull/anonrun.c \
                       $(LIBANON_SRC)
cirr-anon_TOOLCHAIN := dicom
cirr-anon_USES      := crypto
