# cirr-init: PID 1 and supervisor of every image (doc/cirr-init.md).
PROGRAMS += cirr-init
cirr-init_SRC       := $(wildcard init/*.c)
cirr-init_TOOLCHAIN := musl
cirr-init_USES      := curl pq
