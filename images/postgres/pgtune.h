/* pgtune.h: PostgreSQL memory settings from the memory available, by
 * pgtune's rules for a mixed workload. */
#ifndef CIRR_PGTUNE_H
#define CIRR_PGTUNE_H

#include <stdint.h>

struct pgtune {
    uint64_t shared_buffers_kb;
    uint64_t effective_cache_size_kb;
    uint64_t maintenance_work_mem_kb;
    uint64_t work_mem_kb;
    uint64_t wal_buffers_kb;
    uint64_t min_wal_size_mb;
    uint64_t max_wal_size_mb;
};

/* Settings for mem_kb of memory and max_connections connections. */
struct pgtune pgtune_compute(uint64_t mem_kb, unsigned max_connections);

/* The container's memory limit in KiB: cgroup v2 memory.max, else cgroup
 * v1 memory.limit_in_bytes, else MemTotal. root is "/" outside tests. */
uint64_t pgtune_memory_kb(const char *root);

#endif
