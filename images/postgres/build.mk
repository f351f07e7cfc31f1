# cirr-pg-init: initialises and tunes the PostgreSQL cluster (doc/postgres.md).
PROGRAMS += cirr-pg-init
cirr-pg-init_SRC       := $(wildcard images/postgres/*.c)
cirr-pg-init_TOOLCHAIN := musl
