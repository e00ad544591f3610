/*
 * SELECT: column lists over 1-3 part view names, WHERE with = / <> / IS
 * [NOT] NULL joined by AND over every literal kind, TOP, scalar SELECTs of
 * system variables and functions (CERTENCODED(CERT_ID('n')), ...), the three
 * alias forms, the reserved-word rule for bare aliases, nesting cap 191, and
 * the syntax errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sql_test_util.h"

static sql_select_stmt *sel(const char *text, sql_batch **b)
{
    return &parse_one(text, SQL_STMT_SELECT, b)->u.select;
}

static void test_columns_and_where(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_select_stmt *q =
        sel("SELECT name, [certificate_id] FROM master.sys.certificates\n"
            "WHERE name = N'HOST_A_cert' AND principal_id = -1 AND\n"
            "  thumbprint <> 0x0A AND subject IS NULL AND issuer_name IS NOT NULL\n"
            "  AND key_length != 3072 AND x = NULL AND y = 'a''b' AND z = 1.5",
            &b);
    assert_int_equal(q->nitems, 2);
    assert_string_equal(q->items[0].expr.name, "name");
    assert_int_equal(q->items[1].expr.kind, SQL_EXPR_COLUMN);
    assert_string_equal(q->items[1].expr.name, "certificate_id");
    assert_int_equal(q->from.nparts, 3);
    assert_string_equal(q->from.db, "master");
    assert_string_equal(q->from.schema, "sys");
    assert_string_equal(q->from.name, "certificates");
    assert_int_equal(q->nwhere, 9);
    const sql_cond *w = q->where;
    assert_string_equal(w[0].column, "name");
    assert_int_equal(w[0].op, SQL_CMP_EQ);
    assert_int_equal(w[0].value.lit.kind, SQL_LIT_NSTRING);
    assert_string_equal(w[0].value.lit.text, "HOST_A_cert");
    assert_int_equal(w[1].value.lit.kind, SQL_LIT_INTEGER);
    assert_int_equal(w[1].value.lit.integer, -1);
    assert_int_equal(w[2].op, SQL_CMP_NE);
    assert_int_equal(w[2].value.lit.kind, SQL_LIT_BINARY);
    assert_int_equal(w[2].value.lit.bytes_len, 1);
    assert_int_equal(w[2].value.lit.bytes[0], 0x0A);
    assert_int_equal(w[3].op, SQL_CMP_IS_NULL);
    assert_int_equal(w[4].op, SQL_CMP_IS_NOT_NULL);
    assert_string_equal(w[4].column, "issuer_name");
    assert_int_equal(w[5].op, SQL_CMP_NE);
    assert_int_equal(w[5].value.lit.integer, 3072);
    assert_int_equal(w[6].value.lit.kind, SQL_LIT_NULL);
    assert_int_equal(w[7].value.lit.kind, SQL_LIT_STRING);
    assert_string_equal(w[7].value.lit.text, "a'b");
    assert_int_equal(w[8].value.lit.kind, SQL_LIT_DECIMAL);
    assert_string_equal(w[8].value.lit.text, "1.5");
    sql_batch_free(b);
}

static void test_view_names(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_select_stmt *q = sel("SELECT * FROM certificates", &b);
    assert_int_equal(q->from.nparts, 1);
    assert_null(q->from.schema);
    assert_null(q->from.db);
    assert_string_equal(q->from.name, "certificates");
    sql_batch_free(b);
    q = sel("SELECT * FROM [master]..[sysusers]", &b);
    assert_int_equal(q->from.nparts, 3);
    assert_string_equal(q->from.db, "master");
    assert_null(q->from.schema);
    assert_string_equal(q->from.name, "sysusers");
    sql_batch_free(b);
    q = sel("SELECT *, name FROM \"sys\".\"endpoints\"", &b);
    assert_int_equal(q->nitems, 2);
    assert_true(q->items[0].star);
    assert_false(q->items[1].star);
    assert_string_equal(q->from.schema, "sys");
    sql_batch_free(b);
}

static void test_top(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_select_stmt *q = sel("SELECT TOP 5 * FROM sys.certificates", &b);
    assert_true(q->has_top);
    assert_int_equal(q->top, 5);
    sql_batch_free(b);
    q = sel("SELECT TOP (1) name FROM sys.certificates", &b);
    assert_int_equal(q->top, 1);
    sql_batch_free(b);
    q = sel("SELECT name FROM sys.certificates", &b);
    assert_false(q->has_top);
    sql_batch_free(b);
}

static void test_scalar_select(void **state)
{
    (void)state;
    sql_batch *b = NULL;
    sql_select_stmt *q = sel(
        "SELECT @@VERSION, @@servername AS srv, spid = @@SPID, SERVERPROPERTY('ProductVersion') "
        "v, CERTENCODED(CERT_ID(N'HOST_A_cert')) AS 'der', CERTENCODED(256), 42, 'txt', "
        "-9223372036854775808, 99999999999999999999, -1.5e3, 0x, NULL, (7), GETDATE(), "
        "COUNT(*)",
        &b);
    assert_false(q->has_from);
    assert_int_equal(q->nitems, 16);
    const sql_select_item *it = q->items;
    assert_int_equal(it[0].expr.kind, SQL_EXPR_SYSVAR);
    assert_string_equal(it[0].expr.name, "@@VERSION");
    assert_null(it[0].alias);
    assert_string_equal(it[1].expr.name, "@@servername");
    assert_string_equal(it[1].alias, "srv");
    assert_string_equal(it[2].alias, "spid");
    assert_string_equal(it[2].expr.name, "@@SPID");
    assert_int_equal(it[3].expr.kind, SQL_EXPR_FUNC);
    assert_string_equal(it[3].expr.name, "SERVERPROPERTY");
    assert_int_equal(it[3].expr.nargs, 1);
    assert_string_equal(it[3].expr.args[0].lit.text, "ProductVersion");
    assert_string_equal(it[3].alias, "v");
    const sql_expr *enc = &it[4].expr;
    assert_string_equal(enc->name, "CERTENCODED");
    assert_int_equal(enc->nargs, 1);
    assert_int_equal(enc->args[0].kind, SQL_EXPR_FUNC);
    assert_string_equal(enc->args[0].name, "CERT_ID");
    assert_int_equal(enc->args[0].args[0].lit.kind, SQL_LIT_NSTRING);
    assert_string_equal(enc->args[0].args[0].lit.text, "HOST_A_cert");
    assert_string_equal(it[4].alias, "der");
    assert_int_equal(it[5].expr.args[0].lit.integer, 256);
    assert_int_equal(it[6].expr.lit.integer, 42);
    assert_string_equal(it[7].expr.lit.text, "txt");
    assert_int_equal(it[8].expr.lit.kind, SQL_LIT_INTEGER);
    assert_true(it[8].expr.lit.integer == INT64_MIN);
    assert_int_equal(it[9].expr.lit.kind, SQL_LIT_DECIMAL);
    assert_string_equal(it[9].expr.lit.text, "99999999999999999999");
    assert_int_equal(it[10].expr.lit.kind, SQL_LIT_DECIMAL);
    assert_string_equal(it[10].expr.lit.text, "-1.5e3");
    assert_int_equal(it[11].expr.lit.kind, SQL_LIT_BINARY);
    assert_int_equal(it[11].expr.lit.bytes_len, 0);
    assert_int_equal(it[12].expr.lit.kind, SQL_LIT_NULL);
    assert_int_equal(it[13].expr.lit.integer, 7);
    assert_int_equal(it[14].expr.nargs, 0);
    assert_int_equal(it[15].expr.args[0].kind, SQL_EXPR_STAR);
    sql_batch_free(b);
}

static void test_reserved_word_ends_statement(void **state)
{
    (void)state;
    sql_batch *b = parse_ok("SELECT @@VERSION USE master SELECT 1 x SELECT name [n] FROM v\n"
                            "GRANT CONNECT ON ENDPOINT::e TO l");
    assert_int_equal(sql_batch_count(b), 5);
    assert_int_equal(sql_batch_stmt(b, 1)->kind, SQL_STMT_USE);
    assert_string_equal(sql_batch_stmt(b, 2)->u.select.items[0].alias, "x");
    assert_string_equal(sql_batch_stmt(b, 3)->u.select.items[0].alias, "n");
    assert_int_equal(sql_batch_stmt(b, 4)->kind, SQL_STMT_GRANT);
    assert_int_equal(sql_batch_stmt(b, 4)->line, 2);
    sql_batch_free(b);
}

static void test_nesting_cap(void **state)
{
    (void)state;
    char text[1024];
    size_t n = 0;
    n += (size_t)snprintf(text, sizeof(text), "SELECT ");
    for (int i = 0; i < SQL_MAX_DEPTH - 1; i++) {
        text[n++] = '(';
    }
    text[n++] = '1';
    for (int i = 0; i < SQL_MAX_DEPTH - 1; i++) {
        text[n++] = ')';
    }
    text[n] = '\0';
    sql_batch *b = parse_ok(text); /* SQL_MAX_DEPTH levels: accepted */
    sql_batch_free(b);

    n = (size_t)snprintf(text, sizeof(text), "SELECT ");
    for (int i = 0; i < SQL_MAX_DEPTH; i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "F(");
    }
    text[n] = '\0';
    expect_error(text, 191, 15, 1, 1,
                 "Some part of your SQL statement is nested too deeply. Rewrite the query or "
                 "break it up into smaller queries.");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_syntax("SELECT", "SELECT", 1);
    expect_syntax("SELECT * FROM", "FROM", 1);
    expect_syntax("SELECT *\nFROM sys.certificates WHERE", "WHERE", 2);
    expect_syntax("SELECT * FROM sys.certificates WHERE name", "name", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE name =", "=", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE name > 1", ">", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE name = 'a' OR name = 'b'", "OR", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE name IS 'a'", "a", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE name IS NOT", "NOT", 1);
    expect_syntax("SELECT * FROM sys.certificates WHERE 1 = name", "1", 1);
    expect_syntax("SELECT * FROM sys.certificates c", "c", 1);
    expect_syntax("SELECT * FROM sys.", ".", 1);
    expect_syntax("SELECT * FROM a.b.c.d", ".", 1);
    expect_syntax("SELECT * FROM .a", ".", 1);
    expect_syntax("SELECT name,", ",", 1);
    expect_syntax("SELECT name, FROM t", "FROM", 1);
    expect_syntax("SELECT @x", "@x", 1);
    expect_syntax("SELECT CERT_ID('a'", "a", 1);
    expect_syntax("SELECT CERT_ID('a',)", ")", 1);
    expect_syntax("SELECT (1", "1", 1);
    expect_syntax("SELECT - 'a'", "a", 1);
    expect_syntax("SELECT 1 AS", "AS", 1);
    expect_syntax("SELECT 1 AS FROM", "FROM", 1);
    expect_syntax("SELECT TOP * FROM t", "*", 1);
    expect_syntax("SELECT TOP (5 * FROM t", "*", 1);
    expect_syntax("SELECT TOP -1 * FROM t", "-", 1);
    expect_syntax("SELECT 1 +", "+", 1);
    expect_syntax("SELECT a = ", "=", 1);
    expect_syntax("SELECT 1 2", "2", 1);
    static const char *const empty_aliases[] = {"SELECT 1 AS ''", "SELECT 1 N''", "SELECT '' = 1",
                                                "SELECT 1 \"\""};
    for (size_t i = 0; i < sizeof(empty_aliases) / sizeof(empty_aliases[0]); i++) {
        sql_error e = parse_fail(empty_aliases[i], strlen(empty_aliases[i]));
        assert_int_equal(e.number, 1038);
    }
    char text[300];
    snprintf(text, sizeof(text), "SELECT 1 AS '%0129d'", 0);
    sql_error e = parse_fail(text, strlen(text));
    assert_int_equal(e.number, 103);
    assert_int_equal(e.state, 4);
    snprintf(text, sizeof(text), "SELECT 1 AS '%0128d'", 0);
    sql_batch *b = parse_ok(text);
    assert_int_equal(strlen(sql_batch_stmt(b, 0)->u.select.items[0].alias), 128);
    sql_batch_free(b);
    expect_error("SELECT 1 AS []", 1038, 15, 1, 1,
                 "An object or column name is missing or empty. For SELECT INTO statements, "
                 "verify each column has a name. For other statements, look for empty alias "
                 "names. Aliases defined as \"\" or [] are not allowed. Change the alias to a "
                 "valid name.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_and_where),
        cmocka_unit_test(test_view_names),
        cmocka_unit_test(test_top),
        cmocka_unit_test(test_scalar_select),
        cmocka_unit_test(test_reserved_word_ends_statement),
        cmocka_unit_test(test_nesting_cap),
        cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
