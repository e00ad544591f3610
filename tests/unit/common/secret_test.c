/*
 * Secrets: creation limits, length handling (bytes past the length wiped),
 * constant-time equality, NULL-safe free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mk/secret.h"

static void test_new_and_limits(void **state)
{
    (void)state;
    mk_secret *s = NULL;
    assert_true(mk_failed(mk_secret_new(0, &s)));
    assert_true(mk_failed(mk_secret_new(2u * 1024 * 1024, &s)));
    assert_true(mk_ok(mk_secret_new(32, &s)));
    assert_int_equal(mk_secret_cap(s), 32);
    assert_int_equal(mk_secret_len(s), 0);
    for (size_t i = 0; i < 32; i++) {
        assert_int_equal(mk_secret_data(s)[i], 0);
    }
    mk_secret_free(s);
    mk_secret_free(NULL);
}

static void test_set_len_wipes_tail(void **state)
{
    (void)state;
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_from("hunter22", 8, &s)));
    assert_int_equal(mk_secret_len(s), 8);
    assert_true(mk_ok(mk_secret_set_len(s, 3)));
    assert_memory_equal(mk_secret_cdata(s), "hun", 3);
    for (size_t i = 3; i < mk_secret_cap(s); i++) {
        assert_int_equal(mk_secret_data(s)[i], 0);
    }
    assert_true(mk_failed(mk_secret_set_len(s, 9)));
    assert_int_equal(mk_error_code(), MK_E_BOUNDS);
    mk_secret_free(s);
}

static void test_equal(void **state)
{
    (void)state;
    mk_secret *a = NULL;
    mk_secret *b = NULL;
    mk_secret *c = NULL;
    mk_secret *d = NULL;
    assert_true(mk_ok(mk_secret_from("same-pin", 8, &a)));
    assert_true(mk_ok(mk_secret_from("same-pin", 8, &b)));
    assert_true(mk_ok(mk_secret_from("same-pix", 8, &c)));
    assert_true(mk_ok(mk_secret_from("same", 4, &d)));
    assert_true(mk_secret_equal(a, b));
    assert_false(mk_secret_equal(a, c));
    assert_false(mk_secret_equal(a, d));
    mk_secret_free(a);
    mk_secret_free(b);
    mk_secret_free(c);
    mk_secret_free(d);
}

static void test_empty_from(void **state)
{
    (void)state;
    mk_secret *s = NULL;
    assert_true(mk_ok(mk_secret_from("", 0, &s)));
    assert_int_equal(mk_secret_len(s), 0);
    mk_secret_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_and_limits),
        cmocka_unit_test(test_set_len_wipes_tail),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_empty_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
