/*
 * Master key statements: CREATE (with and without password), OPEN, CLOSE,
 * ALTER [FORCE] REGENERATE, ALTER ADD/DROP ENCRYPTION BY PASSWORD or
 * SERVICE MASTER KEY, and their syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sql_test_util.h"

static sql_masterkey_stmt *mk(const char *text, sql_stmt_kind kind, sql_batch **b)
{
    return &parse_one(text, kind, b)->u.masterkey;
}

static void test_create_open_close(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_masterkey_stmt *m =
        mk("create master key encryption by password = N'pw''1'", SQL_STMT_CREATE_MASTER_KEY, &b);
    assert_true(m->has_password);
    assert_string_equal(m->password, "pw'1");
    assert_int_equal(m->by, SQL_MK_BY_PASSWORD);
    sql_batch_free(b);

    m = mk("CREATE MASTER KEY", SQL_STMT_CREATE_MASTER_KEY, &b);
    assert_false(m->has_password);
    assert_null(m->password);
    sql_batch_free(b);

    m = mk("OPEN MASTER KEY DECRYPTION BY PASSWORD = 'pw2'", SQL_STMT_OPEN_MASTER_KEY, &b);
    assert_true(m->has_password);
    assert_string_equal(m->password, "pw2");
    sql_batch_free(b);

    m = mk("CLOSE MASTER KEY;", SQL_STMT_CLOSE_MASTER_KEY, &b);
    assert_false(m->has_password);
    sql_batch_free(b);
}

static void test_alter_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sql_mk_action action;
        bool force, has_password;
        sql_mk_by by;
    } cases[] = {
        {"ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY PASSWORD = 'p'", SQL_MK_REGENERATE, false,
         true, SQL_MK_BY_PASSWORD},
        {"ALTER MASTER KEY FORCE REGENERATE WITH ENCRYPTION BY PASSWORD = 'p'", SQL_MK_REGENERATE,
         true, true, SQL_MK_BY_PASSWORD},
        {"ALTER MASTER KEY ADD ENCRYPTION BY PASSWORD = 'p'", SQL_MK_ADD_ENCRYPTION, false, true,
         SQL_MK_BY_PASSWORD},
        {"ALTER MASTER KEY DROP ENCRYPTION BY PASSWORD = 'p'", SQL_MK_DROP_ENCRYPTION, false, true,
         SQL_MK_BY_PASSWORD},
        {"ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER KEY", SQL_MK_ADD_ENCRYPTION, false,
         false, SQL_MK_BY_SERVICE_MASTER_KEY},
        {"ALTER MASTER KEY DROP ENCRYPTION BY SERVICE MASTER KEY", SQL_MK_DROP_ENCRYPTION, false,
         false, SQL_MK_BY_SERVICE_MASTER_KEY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sql_batch *b = NULL;
        sql_masterkey_stmt *m = mk(cases[i].text, SQL_STMT_ALTER_MASTER_KEY, &b);
        assert_int_equal(m->action, cases[i].action);
        assert_int_equal(m->force, cases[i].force);
        assert_int_equal(m->has_password, cases[i].has_password);
        assert_int_equal(m->by, cases[i].by);
        if (cases[i].has_password) {
            assert_string_equal(m->password, "p");
        }
        sql_batch_free(b);
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("CREATE MASTER KEY ENCRYPTION BY PASSWORD 'x'", "******", 1);
    expect_syntax("CREATE MASTER KEY ENCRYPTION PASSWORD = 'x'", "PASSWORD", 1);
    expect_syntax("CREATE MASTER KEY ENCRYPTION BY PASSWORD = x", "x", 1);
    expect_syntax("CREATE MASTER KEY ENCRYPTION BY PASSWORD =", "=", 1);
    expect_syntax("CREATE MASTER KEY DECRYPTION BY PASSWORD = 'x'", "DECRYPTION", 1);
    expect_syntax("CREATE MASTER", "MASTER", 1);
    expect_syntax("CREATE MASTER LOCK", "LOCK", 1);
    expect_syntax("OPEN MASTER KEY", "KEY", 1);
    expect_syntax("OPEN MASTER KEY ENCRYPTION BY PASSWORD = 'x'", "ENCRYPTION", 1);
    expect_syntax("OPEN MASTER KEY DECRYPTION BY PASSWORD = 'x' 'y'", "******", 1);
    expect_syntax("CLOSE MASTER KEY x", "x", 1);
    expect_syntax("CLOSE SYMMETRIC KEY k", "SYMMETRIC", 1);
    expect_syntax("ALTER MASTER KEY", "KEY", 1);
    expect_syntax("ALTER MASTER KEY FORCE ADD ENCRYPTION BY PASSWORD = 'x'", "ADD", 1);
    expect_syntax("ALTER MASTER KEY REGENERATE ENCRYPTION BY PASSWORD = 'x'", "ENCRYPTION", 1);
    expect_syntax("ALTER MASTER KEY REGENERATE WITH ENCRYPTION BY SERVICE MASTER KEY", "SERVICE",
                  1);
    expect_syntax("ALTER MASTER KEY ADD ENCRYPTION BY SERVICE KEY", "KEY", 1);
    expect_syntax("ALTER MASTER KEY ADD ENCRYPTION BY SERVICE MASTER", "MASTER", 1);
    expect_syntax("ALTER MASTER KEY ADD DECRYPTION BY PASSWORD = 'x'", "DECRYPTION", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_open_close),
        cmocka_unit_test(test_alter_forms),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
