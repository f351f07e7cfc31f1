# cirr-watcher: the PACS and Orthanc monitor that indexes studies and dose
# reports into Splunk's HEC and PostgreSQL (doc/watcher.md).
PROGRAMS += cirr-watcher
cirr-watcher_SRC       := $(wildcard images/watcher/*.c)
cirr-watcher_TOOLCHAIN := dicom
cirr-watcher_USES      := curl pq
