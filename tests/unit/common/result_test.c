/*
 * Result idiom: GUARD/ENSURE/BAIL record code, message and location, and the
 * *_OUT variants reach the cleanup label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mk/result.h"

static MK_RESULT fails_with_message(void) { BAIL_MSG(MK_E_INVALID, "bad thing %d", 42); }
static MK_RESULT ensure_false(void)
{
    ENSURE(1 == 2, MK_E_STATE);
    return MK_OK;
}
static MK_RESULT guarded(void)
{
    GUARD(fails_with_message());
    return MK_OK;
}

static int cleanup_ran;

static MK_RESULT with_cleanup(int fail)
{
    mk_result res = MK_ERR;
    ENSURE_OUT(!fail, MK_E_IO, "io failed on %s", "x");
    res = MK_OK;
out:
    cleanup_ran++;
    return res;
}

static void test_bail_records(void **state)
{
    (void)state;
    mk_error_clear();
    assert_true(mk_failed(fails_with_message()));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
    assert_string_equal(mk_error_message(), "bad thing 42");
    assert_non_null(strstr(mk_error_file(), "result_test.c"));
    assert_true(mk_error_line() > 0);
}

static void test_ensure_default_message(void **state)
{
    (void)state;
    assert_true(mk_failed(ensure_false()));
    assert_int_equal(mk_error_code(), MK_E_STATE);
    assert_string_equal(mk_error_message(), mk_err_name(MK_E_STATE));
}

static void test_guard_propagates(void **state)
{
    (void)state;
    assert_true(mk_failed(guarded()));
    assert_string_equal(mk_error_message(), "bad thing 42");
}

static void test_out_label(void **state)
{
    (void)state;
    cleanup_ran = 0;
    assert_true(mk_ok(with_cleanup(0)));
    assert_true(mk_failed(with_cleanup(1)));
    assert_int_equal(cleanup_ran, 2);
    assert_string_equal(mk_error_message(), "io failed on x");
}

static void test_context_prefix(void **state)
{
    (void)state;
    assert_true(mk_failed(fails_with_message()));
    mk_error_context("loading %s", "key");
    assert_string_equal(mk_error_message(), "loading key: bad thing 42");
    mk_error_clear();
    assert_int_equal(mk_error_code(), MK_E_NONE);
    assert_string_equal(mk_error_message(), "");
}

static void test_every_code_has_a_name(void **state)
{
    (void)state;
    for (int c = MK_E_NONE; c <= MK_E_INTERNAL; c++) {
        assert_string_not_equal(mk_err_name((mk_err)c), "unknown error");
    }
    assert_string_equal(mk_err_name((mk_err)999), "unknown error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bail_records),     cmocka_unit_test(test_ensure_default_message),
        cmocka_unit_test(test_guard_propagates), cmocka_unit_test(test_out_label),
        cmocka_unit_test(test_context_prefix),   cmocka_unit_test(test_every_code_has_a_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
