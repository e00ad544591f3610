/*
 * Transaction statements: every spelling drivers use (pymssql sends
 * BEGIN TRAN and IF @@TRANCOUNT > 0 COMMIT TRAN / ROLLBACK TRAN), optional
 * names, and the IF forms that are not the guarded transaction end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql/parser.h"

static sql_batch *parse(const char *text, sql_error *err)
{
    sql_batch *b = NULL;
    if (mk_failed(sql_parse(text, strlen(text), &b, err))) {
        return NULL;
    }
    return b;
}

static void expect_one(const char *text, sql_stmt_kind kind, const char *name, bool guarded)
{
    sql_error err;
    sql_batch *b = parse(text, &err);
    assert_non_null(b);
    assert_int_equal(sql_batch_count(b), 1);
    sql_stmt *s = sql_batch_stmt(b, 0);
    assert_int_equal(s->kind, kind);
    if (name == NULL) {
        assert_null(s->u.tran.name);
    } else {
        assert_string_equal(s->u.tran.name, name);
    }
    assert_int_equal(s->u.tran.if_trancount, guarded);
    sql_batch_free(b);
}

static void test_forms(void **state)
{
    (void)state;
    expect_one("BEGIN TRAN", SQL_STMT_BEGIN_TRAN, NULL, false);
    expect_one("begin transaction t1;", SQL_STMT_BEGIN_TRAN, "t1", false);
    expect_one("COMMIT", SQL_STMT_COMMIT_TRAN, NULL, false);
    expect_one("COMMIT WORK", SQL_STMT_COMMIT_TRAN, NULL, false);
    expect_one("COMMIT TRANSACTION [x y]", SQL_STMT_COMMIT_TRAN, "x y", false);
    expect_one("ROLLBACK TRAN", SQL_STMT_ROLLBACK_TRAN, NULL, false);
    expect_one("IF @@TRANCOUNT > 0 COMMIT TRAN", SQL_STMT_COMMIT_TRAN, NULL, true);
    expect_one("IF @@TRANCOUNT > 0 ROLLBACK TRAN", SQL_STMT_ROLLBACK_TRAN, NULL, true);
}

static void test_followed_by_statement(void **state)
{
    (void)state;
    sql_error err;
    sql_batch *b = parse("BEGIN TRAN SELECT 1 COMMIT", &err);
    assert_non_null(b);
    assert_int_equal(sql_batch_count(b), 3);
    assert_null(sql_batch_stmt(b, 0)->u.tran.name);
    assert_int_equal(sql_batch_stmt(b, 1)->kind, SQL_STMT_SELECT);
    assert_int_equal(sql_batch_stmt(b, 2)->kind, SQL_STMT_COMMIT_TRAN);
    sql_batch_free(b);
}

static void expect_102(const char *text, const char *near)
{
    sql_error err;
    assert_null(parse(text, &err));
    assert_int_equal(err.number, 102);
    assert_non_null(strstr(err.message, near));
}

static void test_other_ifs_refused(void **state)
{
    (void)state;
    expect_102("IF 1 = 1 SELECT 1", "1");
    expect_102("IF @@TRANCOUNT > 1 COMMIT", "1");
    expect_102("IF @@TRANCOUNT = 0 COMMIT", "=");
    expect_102("IF @@TRANCOUNT > 0 SELECT 1", "SELECT");
    expect_102("IF @@VERSION > 0 COMMIT", "@@VERSION");
    expect_102("BEGIN", "BEGIN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_followed_by_statement),
        cmocka_unit_test(test_other_ifs_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
