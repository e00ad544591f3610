/*
 * Rowsets: values are copied, NULLs kept, bounds of accessors, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mk/rowset.h"

static void test_rows_are_copies(void **state)
{
    (void)state;
    mk_column cols[3] = {
        {.name = "name", .type = MK_T_NVARCHAR, .max_len = 128},
        {.name = "id", .type = MK_T_INT},
        {.name = "sid", .type = MK_T_VARBINARY, .max_len = 85, .nullable = true},
    };
    mk_rowset *rs = NULL;
    assert_true(mk_ok(mk_rowset_new(cols, 3, &rs)));
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "row%d", i);
        mk_value v[3] = {mk_value_text(name), mk_value_int(i),
                         i % 2 ? mk_value_null() : mk_value_bytes("\x01\x00\x02", 3)};
        assert_true(mk_ok(mk_rowset_add_row(rs, v)));
    }
    memset(name, 'X', sizeof(name));
    assert_int_equal(mk_rowset_nrows(rs), 20);
    assert_int_equal(mk_rowset_ncols(rs), 3);
    assert_string_equal(mk_rowset_column(rs, 2)->name, "sid");
    assert_null(mk_rowset_column(rs, 3));
    const mk_value *v = mk_rowset_value(rs, 7, 0);
    assert_string_equal((const char *)v->bytes, "row7");
    assert_int_equal(mk_rowset_value(rs, 7, 1)->i, 7);
    assert_true(mk_rowset_value(rs, 7, 2)->is_null);
    assert_memory_equal(mk_rowset_value(rs, 8, 2)->bytes, "\x01\x00\x02", 3);
    assert_null(mk_rowset_value(rs, 20, 0));
    assert_null(mk_rowset_value(rs, 0, 3));
    mk_rowset_free(rs);
    mk_rowset_free(NULL);
}

static void test_column_limits(void **state)
{
    (void)state;
    mk_column col = {.name = "x", .type = MK_T_INT};
    mk_rowset *rs = NULL;
    assert_true(mk_failed(mk_rowset_new(&col, 0, &rs)));
    assert_true(mk_failed(mk_rowset_new(&col, 5000, &rs)));
    assert_int_equal(mk_error_code(), MK_E_INVALID);
}

static void test_text_null(void **state)
{
    (void)state;
    assert_true(mk_value_text(NULL).is_null);
    assert_false(mk_value_text("").is_null);
    assert_int_equal(mk_value_text("abc").len, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_are_copies),
        cmocka_unit_test(test_column_limits),
        cmocka_unit_test(test_text_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
