/*
 * Unit tests for one-line secret files (server/main/src/secret_file.c):
 * newline handling, and refusal of group/world permissions, missing files,
 * directories, empty and multi-line files, NUL bytes and oversize files —
 * with messages that never contain the secret.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mk/secret_file.h"

static char dir[] = "/tmp/mk-secret-test-XXXXXX";
static char path[256];

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/pw", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static void write_file(const void *data, size_t len, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void expect_ok(const char *content, const char *want)
{
    write_file(content, strlen(content), 0600);
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_file_read(path, 128, &s)));
    assert_int_equal(mk_secret_len(s), strlen(want));
    assert_memory_equal(mk_secret_cdata(s), want, strlen(want));
    mk_secret_free(s);
}

static void expect_bad(const void *content, size_t len, mode_t mode, mk_err code)
{
    write_file(content, len, mode);
    mk_secret *s = NULL;
    assert_true(mk_failed(mk_secret_file_read(path, 16, &s)));
    assert_null(s);
    assert_int_equal(mk_error_code(), code);
    assert_null(strstr(mk_error_message(), "Pa55"));
}

static void test_good(void **state)
{
    (void)state;
    expect_ok("Pa55word!", "Pa55word!");
    expect_ok("Pa55word!\n", "Pa55word!");
    expect_ok("Pa55word!\r\n", "Pa55word!");
    expect_ok(" spaces kept ", " spaces kept ");
    chmod(path, 0400);
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_file_read(path, 128, &s)));
    mk_secret_free(s);
}

static void test_bad(void **state)
{
    (void)state;
    expect_bad("Pa55word!\n", 10, 0640, MK_E_PERM);
    expect_bad("Pa55word!\n", 10, 0604, MK_E_PERM);
    expect_bad("Pa55word!\n", 10, 0660, MK_E_PERM);
    expect_bad("", 0, 0600, MK_E_INVALID);
    expect_bad("\n", 1, 0600, MK_E_INVALID);
    expect_bad("Pa55\nword\n", 10, 0600, MK_E_INVALID);
    expect_bad("Pa55\rword", 9, 0600, MK_E_INVALID);
    expect_bad("Pa55\0word", 9, 0600, MK_E_INVALID);
    expect_bad("Pa55word-and-much-more", 22, 0600, MK_E_TOOBIG);
    /* Exactly the limit is fine, with or without the newline. */
    write_file("Pa55word-16bytes\n", 17, 0600);
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_file_read(path, 16, &s)));
    assert_int_equal(mk_secret_len(s), 16);
    mk_secret_free(s);
}

static void test_not_a_file(void **state)
{
    (void)state;
    mk_secret *s = NULL;
    unlink(path);
    assert_true(mk_failed(mk_secret_file_read(path, 16, &s)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_true(mk_failed(mk_secret_file_read(dir, 16, &s)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    /* A symlink is not followed. */
    char link[300];
    snprintf(link, sizeof(link), "%s/link", dir);
    write_file("Pa55word!", 9, 0600);
    assert_int_equal(symlink(path, link), 0);
    assert_true(mk_failed(mk_secret_file_read(link, 16, &s)));
    unlink(link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_not_a_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
