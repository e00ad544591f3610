/*
 * FROM FILE / TO FILE paths (server/exec/src/files.c): what resolves inside
 * the file root and, above all, everything that must not: other drives, UNC,
 * '..', absolute paths elsewhere, NUL bytes, control characters, alternate
 * data streams, symlinks (to outside and inside the root, in the middle and
 * at the end), FIFOs, directories, existing files, oversized files.
 */
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

#include "internal.h"
#include "softhsm_fixture.h"

typedef struct fx {
    char base[256];    /* temp dir holding root/ and outside/ */
    char root[300];    /* the file root */
    char outside[300]; /* a directory next to it */
} fx;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char p[400];
    snprintf(f->base, sizeof(f->base), "/tmp/mk-files-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    snprintf(f->root, sizeof(f->root), "%s/root", f->base);
    snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
    assert_int_equal(mkdir(f->root, 0700), 0);
    assert_int_equal(mkdir(f->outside, 0700), 0);
    snprintf(p, sizeof(p), "%s/sub", f->root);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/in.cer", f->root);
    write_text(p, "inside");
    snprintf(p, sizeof(p), "%s/sub/deep.cer", f->root);
    write_text(p, "deep");
    snprintf(p, sizeof(p), "%s/secret.txt", f->outside);
    write_text(p, "outside secret");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mk_sh("rm -rf '%s'", f->base);
    free(f);
    return 0;
}

/* Resolve and compare, or expect a failure class. */
static void resolves(const char *root, const char *path, const char *want)
{
    char rel[PATH_MAX];
    mk_result r = exec_path_resolve(root, path, strlen(path), rel, sizeof(rel));
    if (mk_failed(r)) {
        fail_msg("'%s' did not resolve: %s", path, mk_error_message());
    }
    assert_string_equal(rel, want);
}

static void refused(const char *root, const char *path, size_t len, mk_err code)
{
    char rel[PATH_MAX];
    mk_error_clear();
    if (mk_ok(exec_path_resolve(root, path, len, rel, sizeof(rel)))) {
        fail_msg("'%s' resolved to '%s' but must be refused", path, rel);
    }
    if (mk_error_code() != code) {
        fail_msg("'%s': expected %s, got %s (%s)", path, mk_err_name(code),
                 mk_err_name(mk_error_code()), mk_error_message());
    }
}

static void test_resolve_accepts(void **state)
{
    (void)state;
    const char *root = "/srv/mk/files";
    resolves(root, "C:\\HOST_A_cert.cer", "HOST_A_cert.cer");
    resolves(root, "c:/HOST_A_cert.cer", "HOST_A_cert.cer");
    resolves(root, "x.cer", "x.cer");
    resolves(root, "sub/x.cer", "sub/x.cer");
    resolves(root, "sub\\x.cer", "sub/x.cer");
    resolves(root, "C:\\sub\\.\\x.cer", "sub/x.cer");
    resolves(root, "\\x.cer", "x.cer");
    resolves(root, "sub//x.cer", "sub/x.cer");
    resolves(root, "/srv/mk/files/x.cer", "x.cer");
    resolves("/srv/mk/files/", "/srv/mk/files/sub/x.cer", "sub/x.cer");
    resolves(root, "..x.cer", "..x.cer"); /* a name, not a parent reference */
}

static void test_resolve_refuses(void **state)
{
    (void)state;
    const char *root = "/srv/mk/files";
    refused(root, "D:\\x.cer", 8, MK_E_PERM);
    refused(root, "z:/x.cer", 8, MK_E_PERM);
    refused(root, "C:x.cer", 7, MK_E_INVALID);
    refused(root, "C:", 2, MK_E_INVALID);
    refused(root, "C:\\", 3, MK_E_INVALID);
    refused(root, "\\\\server\\share\\x.cer", 20, MK_E_PERM);
    refused(root, "//server/share/x.cer", 20, MK_E_PERM);
    refused(root, "../x.cer", 8, MK_E_PERM);
    refused(root, "C:\\..\\x.cer", 11, MK_E_PERM);
    refused(root, "sub/../../x.cer", 15, MK_E_PERM);
    refused(root, "sub\\..\\x.cer", 12, MK_E_PERM);
    refused(root, "..", 2, MK_E_PERM);
    refused(root, "/etc/passwd", 11, MK_E_PERM);
    refused(root, "/srv/mk/filesX/x.cer", 20, MK_E_PERM); /* a sibling sharing the prefix */
    refused(root, "/srv/mk/files/../x.cer", 22, MK_E_PERM);
    refused(root, "/srv/mk/files", 13, MK_E_PERM);
    refused(root, "", 0, MK_E_INVALID);
    refused(root, ".", 1, MK_E_INVALID);
    refused(root, "sub/", 4, MK_E_INVALID);
    refused(root, "x.cer:stream", 12, MK_E_INVALID);
    refused(root, "a\tb.cer", 7, MK_E_INVALID);
    refused(root, "a\x7f.cer", 6, MK_E_INVALID);
    const char nul[] = "x.cer\0../../etc/passwd";
    refused(root, nul, sizeof(nul) - 1, MK_E_INVALID);
    char long_comp[NAME_MAX + 10];
    memset(long_comp, 'a', sizeof(long_comp) - 1);
    long_comp[sizeof(long_comp) - 1] = '\0';
    refused(root, long_comp, strlen(long_comp), MK_E_TOOBIG);
    char rel[4];
    mk_error_clear();
    assert_true(mk_failed(exec_path_resolve(root, "abcdef", 6, rel, sizeof(rel))));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
}

static void test_read(void **state)
{
    fx *f = *state;
    mk_buf b;
    mk_buf_init(&b, 0);
    assert_true(mk_ok(exec_file_read(f->root, "C:\\in.cer", 1024, &b)));
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "inside", 6);
    mk_buf_reset(&b);
    assert_true(mk_ok(exec_file_read(f->root, "sub\\deep.cer", 1024, &b)));
    assert_memory_equal(b.data, "deep", 4);
    mk_buf_reset(&b);

    mk_error_clear();
    assert_true(mk_failed(exec_file_read(f->root, "missing.cer", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_true(mk_failed(exec_file_read(f->root, "in.cer", 3, &b)));
    assert_int_equal(mk_error_code(), MK_E_TOOBIG);
    assert_true(mk_failed(exec_file_read(f->root, "sub", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_true(mk_failed(exec_file_read(f->root, "../outside/secret.txt", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_true(mk_failed(exec_file_read("/nonexistent-root-dir", "x.cer", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    assert_int_equal(b.len, 0);
    mk_buf_cleanup(&b);
}

static void test_symlinks_refused(void **state)
{
    fx *f = *state;
    char link[400];
    char target[400];
    mk_buf b;
    mk_buf_init(&b, 0);
    /* A file symlink to outside the root. */
    snprintf(target, sizeof(target), "%s/secret.txt", f->outside);
    snprintf(link, sizeof(link), "%s/escape.cer", f->root);
    assert_int_equal(symlink(target, link), 0);
    mk_error_clear();
    assert_true(mk_failed(exec_file_read(f->root, "escape.cer", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    /* A directory symlink to outside, used in the middle of the path. */
    snprintf(link, sizeof(link), "%s/out", f->root);
    assert_int_equal(symlink(f->outside, link), 0);
    assert_true(mk_failed(exec_file_read(f->root, "out/secret.txt", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    /* Even a symlink that stays inside the root is refused. */
    snprintf(target, sizeof(target), "%s/in.cer", f->root);
    snprintf(link, sizeof(link), "%s/alias.cer", f->root);
    assert_int_equal(symlink(target, link), 0);
    assert_true(mk_failed(exec_file_read(f->root, "alias.cer", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    assert_int_equal(b.len, 0);

    /* Writing through a symlink (dangling or not) never creates or changes its target. */
    snprintf(target, sizeof(target), "%s/created-by-link.cer", f->outside);
    snprintf(link, sizeof(link), "%s/dangling.cer", f->root);
    assert_int_equal(symlink(target, link), 0);
    assert_true(
        mk_failed(exec_file_create(f->root, "dangling.cer", (const uint8_t *)"x", 1, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    struct stat st;
    assert_int_not_equal(stat(target, &st), 0);
    assert_true(
        mk_failed(exec_file_create(f->root, "out/new.cer", (const uint8_t *)"x", 1, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    snprintf(target, sizeof(target), "%s/new.cer", f->outside);
    assert_int_not_equal(stat(target, &st), 0);
    mk_buf_cleanup(&b);
}

static void test_fifo_refused(void **state)
{
    fx *f = *state;
    char p[400];
    mk_buf b;
    mk_buf_init(&b, 0);
    snprintf(p, sizeof(p), "%s/pipe.cer", f->root);
    assert_int_equal(mkfifo(p, 0600), 0);
    mk_error_clear();
    assert_true(mk_failed(exec_file_read(f->root, "pipe.cer", 1024, &b)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    mk_buf_cleanup(&b);
}

static void test_create(void **state)
{
    fx *f = *state;
    char rel[PATH_MAX];
    char p[400];
    struct stat st;
    assert_true(mk_ok(
        exec_file_create(f->root, "C:\\out.cer", (const uint8_t *)"DER!", 4, rel, sizeof(rel))));
    assert_string_equal(rel, "out.cer");
    snprintf(p, sizeof(p), "%s/out.cer", f->root);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 4);
    assert_int_equal(st.st_mode & 0777, 0644 & ~(unsigned)umask(022));
    /* Exists: refused, content unchanged. */
    mk_error_clear();
    assert_true(
        mk_failed(exec_file_create(f->root, "out.cer", (const uint8_t *)"other", 5, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_EXISTS);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 4);
    /* A missing directory is not created. */
    assert_true(
        mk_failed(exec_file_create(f->root, "nodir/x.cer", (const uint8_t *)"x", 1, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
    /* Outside: refused before anything is opened. */
    assert_true(
        mk_failed(exec_file_create(f->root, "D:\\x.cer", (const uint8_t *)"x", 1, NULL, 0)));
    assert_int_equal(mk_error_code(), MK_E_PERM);
    /* Into a sub-directory, then removed again. */
    assert_true(
        mk_ok(exec_file_create(f->root, "sub/new.cer", (const uint8_t *)"x", 1, rel, sizeof(rel))));
    assert_string_equal(rel, "sub/new.cer");
    assert_true(mk_ok(exec_file_unlink(f->root, rel)));
    snprintf(p, sizeof(p), "%s/sub/new.cer", f->root);
    assert_int_not_equal(stat(p, &st), 0);
    assert_true(mk_failed(exec_file_unlink(f->root, rel)));
    assert_int_equal(mk_error_code(), MK_E_NOT_FOUND);
}

static void test_unwritable_root(void **state)
{
    fx *f = *state;
    if (geteuid() == 0) {
        skip(); /* root ignores directory modes */
    }
    assert_int_equal(chmod(f->root, 0500), 0);
    mk_error_clear();
    mk_result r = exec_file_create(f->root, "x.cer", (const uint8_t *)"x", 1, NULL, 0);
    assert_int_equal(chmod(f->root, 0700), 0);
    assert_true(mk_failed(r));
    assert_int_equal(mk_error_code(), MK_E_PERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_accepts),
        cmocka_unit_test(test_resolve_refuses),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_root, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
