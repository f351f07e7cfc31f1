/* pgtune.c: see pgtune.h. Rules (pgtune, "mixed" profile):
 *   shared_buffers       = RAM / 4
 *   effective_cache_size = RAM * 3 / 4
 *   maintenance_work_mem = RAM / 16, at most 2 GiB
 *   work_mem             = (RAM - shared_buffers) / (3 * max_connections) / 2, at least 64 kB
 *   wal_buffers          = 3% of shared_buffers, between 32 kB and 16 MiB
 *   min_wal_size 1 GiB, max_wal_size 4 GiB */
#include "pgtune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgtune pgtune_compute(uint64_t mem_kb, unsigned max_connections)
{
    struct pgtune t;
    if (max_connections == 0)
        max_connections = 100;
    t.shared_buffers_kb = mem_kb / 4;
    t.effective_cache_size_kb = mem_kb * 3 / 4;
    t.maintenance_work_mem_kb = mem_kb / 16;
    if (t.maintenance_work_mem_kb > 2u * 1024 * 1024)
        t.maintenance_work_mem_kb = 2u * 1024 * 1024;
    t.work_mem_kb = (mem_kb - t.shared_buffers_kb) / (3u * max_connections) / 2;
    if (t.work_mem_kb < 64)
        t.work_mem_kb = 64;
    t.wal_buffers_kb = t.shared_buffers_kb * 3 / 100;
    if (t.wal_buffers_kb < 32)
        t.wal_buffers_kb = 32;
    if (t.wal_buffers_kb > 16 * 1024)
        t.wal_buffers_kb = 16 * 1024;
    t.min_wal_size_mb = 1024;
    t.max_wal_size_mb = 4096;
    return t;
}

static int read_u64(const char *path, uint64_t *out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char buf[64] = "";
    int ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    if (!ok || strncmp(buf, "max", 3) == 0)
        return -1;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf)
        return -1;
    *out = v;
    return 0;
}

static uint64_t mem_total_kb(const char *root)
{
    char path[512];
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    FILE *f = fopen(path, "re");
    unsigned long long kb = 0;
    if (f) {
        char line[128];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
                break;
        fclose(f);
    }
    return kb;
}

uint64_t pgtune_memory_kb(const char *root)
{
    char path[512];
    uint64_t bytes, total = mem_total_kb(root);
    snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory.max", root);
    if (read_u64(path, &bytes) == 0 && (total == 0 || bytes / 1024 < total))
        return bytes / 1024;
    snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory/memory.limit_in_bytes", root);
    if (read_u64(path, &bytes) == 0 && (total == 0 || bytes / 1024 < total))
        return bytes / 1024; /* v1 reports a huge number when unlimited */
    return total;
}
