# cirr-anon: de-identifies DICOM files and folders with lib/anon (doc/anon.md).
PROGRAMS += cirr-anon
cirr-anon_SRC       := images/pull/anon_main.c images/pull/anonconf.c images/pull/anonfile.c images/pull/anonrun.c \
                       images/pull/workpool.c $(LIBANON_SRC)
cirr-anon_TOOLCHAIN := dicom
cirr-anon_USES      := crypto

# cirr-pull: a worklist pulled from a Q/R peer, de-identified (doc/anon.md).
PROGRAMS += cirr-pull
cirr-pull_SRC       := images/pull/pull_main.c images/pull/pullconf.c images/pull/pullstudy.c images/pull/pullmove.c \
                       images/pull/worklist.c images/pull/journal.c images/pull/anonconf.c \
                       images/pull/anonfile.c images/pull/workpool.c $(LIBANON_SRC)
cirr-pull_TOOLCHAIN := dicom
cirr-pull_USES      := crypto
