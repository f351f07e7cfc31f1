/* Unit tests of fd_write_all (lib/fdio.c): everything is written, across
 * the short writes of a pipe whose reader takes a little at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG (1 << 20) /* far more than a pipe holds */

struct reader {
    int fd;
    size_t got;
    int same;
};

static void *read_slowly(void *arg)
{
    struct reader *r = arg;
    char buf[1000];
    ssize_t n;
    r->same = 1;
    while ((n = read(r->fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            r->same &= buf[i] == (char)((r->got + (size_t)i) % 251);
        r->got += (size_t)n;
    }
    return NULL;
}

static void test_everything_reaches_a_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char *data = malloc(BIG);
    assert_non_null(data);
    for (size_t i = 0; i < BIG; i++)
        data[i] = (char)(i % 251);
    struct reader r = {p[0], 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, read_slowly, &r), 0);
    assert_int_equal(fd_write_all(p[1], data, BIG), 0);
    close(p[1]);
    pthread_join(t, NULL);
    close(p[0]);
    assert_int_equal(r.got, BIG);
    assert_true(r.same);
    free(data);
}

static void test_a_bad_descriptor_is_an_error(void **state)
{
    (void)state;
    errno = 0;
    assert_int_equal(fd_write_all(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(fd_write_all(-1, "", 0), 0); /* nothing to write */
}

static void test_fsync_path_flushes_a_file_or_folder_and_says_why_not(void **state)
{
    (void)state;
    char dir[] = "/tmp/fdio_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64];
    snprintf(file, sizeof file, "%s/f", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(fsync_path(file, 0), 0);
    assert_int_equal(fsync_path(dir, O_DIRECTORY), 0);
    errno = 0;
    assert_int_equal(fsync_path(file, O_DIRECTORY), -1); /* a file where a folder was meant */
    assert_int_equal(errno, ENOTDIR);
    unlink(file);
    errno = 0;
    assert_int_equal(fsync_path(file, 0), -1);
    assert_int_equal(errno, ENOENT);
    rmdir(dir);
}

static void test_syncfs_path_takes_a_folder_only(void **state)
{
    (void)state;
    char dir[] = "/tmp/fdio_test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64];
    snprintf(file, sizeof file, "%s/f", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(syncfs_path(dir), 0);
    errno = 0;
    assert_int_equal(syncfs_path(file), -1);
    assert_int_equal(errno, ENOTDIR);
    unlink(file);
    rmdir(dir);
    errno = 0;
    assert_int_equal(syncfs_path(dir), -1);
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_reaches_a_pipe),
        cmocka_unit_test(test_a_bad_descriptor_is_an_error),
        cmocka_unit_test(test_fsync_path_flushes_a_file_or_folder_and_says_why_not),
        cmocka_unit_test(test_syncfs_path_takes_a_folder_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
