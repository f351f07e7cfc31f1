/* Unit tests of the PostgreSQL memory rules (images/postgres/pgtune.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pgtune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_rules_for_4_gib(void **state)
{
    (void)state;
    struct pgtune t = pgtune_compute(4u * 1024 * 1024, 100);
    assert_int_equal(t.shared_buffers_kb, 1024 * 1024);
    assert_int_equal(t.effective_cache_size_kb, 3 * 1024 * 1024);
    assert_int_equal(t.maintenance_work_mem_kb, 256 * 1024);
    assert_int_equal(t.work_mem_kb, (3u * 1024 * 1024) / 300 / 2);
    assert_int_equal(t.wal_buffers_kb, 16 * 1024);
}

static void test_limits(void **state)
{
    (void)state;
    struct pgtune big = pgtune_compute(200ull * 1024 * 1024, 100);
    assert_int_equal(big.maintenance_work_mem_kb, 2 * 1024 * 1024);
    struct pgtune small = pgtune_compute(64 * 1024, 1000);
    assert_int_equal(small.work_mem_kb, 64);
    assert_int_equal(small.wal_buffers_kb, 491);
}

static void write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_memory_from_cgroups(void **state)
{
    (void)state;
    char root[] = "/tmp/cirr-pgtune-XXXXXX", path[256];
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof path, "%s/proc", root);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    write(path, "MemTotal:       16384000 kB\nMemFree: 1 kB\n");
    assert_int_equal(pgtune_memory_kb(root), 16384000);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/sys/fs/cgroup/memory", root);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory/memory.limit_in_bytes", root);
    write(path, "9223372036854771712\n"); /* v1, unlimited */
    assert_int_equal(pgtune_memory_kb(root), 16384000);
    write(path, "536870912\n"); /* v1, 512 MiB */
    assert_int_equal(pgtune_memory_kb(root), 524288);
    snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory.max", root);
    write(path, "max\n"); /* v2, unlimited: falls through to v1 */
    assert_int_equal(pgtune_memory_kb(root), 524288);
    write(path, "1073741824\n"); /* v2, 1 GiB */
    assert_int_equal(pgtune_memory_kb(root), 1048576);
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_for_4_gib),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_memory_from_cgroups),
    };
    return cmocka_run_group_tests_name("pgtune", tests, NULL, NULL);
}
