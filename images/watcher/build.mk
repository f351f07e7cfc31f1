# cirr-watcher: the PACS and Orthanc monitor that indexes studies and dose
# reports into Splunk's HEC and PostgreSQL (doc/watcher.md).
PROGRAMS += cirr-watcher
cirr-watcher_SRC       := $(wildcard images/watcher/*.c)
cirr-watcher_TOOLCHAIN := dicom
cirr-watcher_USES      := curl pq

# Unit test (cmocka, ASan): the JSON reader, the SR flattening and the outbox
# lines of events (tests/unit/watcher_json_test.c).
watcher_json_test_SRC := images/watcher/json.c images/watcher/srflat.c images/watcher/event.c
