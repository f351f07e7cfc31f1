/* Unit tests of lib/fdio.c: fd_write_all writes everything, across the
 * short writes of a pipe whose reader takes a little at a time; fsync_path
 * and syncfs_path flush what they are named and say why they cannot. */
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

/* A fresh folder holding one empty file, for the flush tests. */
struct folder {
    char dir[32];
    char file[64];
};

static int make_folder(void **state)
{
    struct folder *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/fdio_test.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->file, sizeof f->file, "%s/f", f->dir);
    FILE *file = fopen(f->file, "w");
    if (!file)
        return -1;
    fclose(file);
    *state = f;
    return 0;
}

static int remove_folder(void **state)
{
    struct folder *f = *state;
    unlink(f->file); /* the tests may have removed them already */
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_fsync_path_flushes_a_file_or_folder_and_says_why_not(void **state)
{
    struct folder *f = *state;
    assert_int_equal(fsync_path(f->file, 0), 0);
    assert_int_equal(fsync_path(f->dir, O_DIRECTORY), 0);
    errno = 0;
    assert_int_equal(fsync_path(f->file, O_DIRECTORY), -1); /* a file where a folder was meant */
    assert_int_equal(errno, ENOTDIR);
    unlink(f->file);
    errno = 0;
    assert_int_equal(fsync_path(f->file, 0), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_syncfs_path_takes_a_folder_only(void **state)
{
    struct folder *f = *state;
    assert_int_equal(syncfs_path(f->dir), 0);
    errno = 0;
    assert_int_equal(syncfs_path(f->file), -1);
    assert_int_equal(errno, ENOTDIR);
    unlink(f->file);
    rmdir(f->dir);
    errno = 0;
    assert_int_equal(syncfs_path(f->dir), -1);
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_reaches_a_pipe),
        cmocka_unit_test(test_a_bad_descriptor_is_an_error),
        cmocka_unit_test_setup_teardown(test_fsync_path_flushes_a_file_or_folder_and_says_why_not, make_folder,
                                        remove_folder),
        cmocka_unit_test_setup_teardown(test_syncfs_path_takes_a_folder_only, make_folder, remove_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
