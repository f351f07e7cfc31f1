# cirr-splunk-setup: the one-shot that sets Splunk up on its management API
# (doc/splunk.md), run by the admin stack's splunk-setup service. It reads
# Splunk's JSON answers with the watcher's reader, calls it through the
# watcher's libcurl handle setup and reads secret files as the watcher does
# (those three files are compiled in, not copied).
PROGRAMS += cirr-splunk-setup
cirr-splunk-setup_SRC       := $(wildcard images/splunk-setup/*.c) images/watcher/json.c \
                               images/watcher/httpc.c images/watcher/secrets.c
cirr-splunk-setup_TOOLCHAIN := dicom
cirr-splunk-setup_USES      := curl
