/*
 * Batch-level parser behaviour: statement boundaries with and without
 * separators, GO lines, statement lines, error 102's choice of near-token
 * (the last token at the end of the batch, never a GO line, never a
 * password), whole-batch rejection, lexer errors through sql_parse, and the
 * caps (statements, list items, tokens, bytes) rejected cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sql/lexer.h"
#include "sql_test_util.h"

static void test_empty_batches(void **state)
{
    (void)state;
    static const char *const empty[] = {"", "   \n\t", "-- only a comment", "/* c */ ;;; ",
                                        "GO\nGO 5\n;"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        sql_batch *b = parse_ok(empty[i]);
        assert_int_equal(sql_batch_count(b), 0);
        assert_null(sql_batch_stmt(b, 0));
        sql_batch_free(b);
    }
    sql_batch_free(NULL);
}

static void test_boundaries_and_lines(void **state)
{
    (void)state;
    sql_batch *b = parse_ok("USE master CLOSE MASTER KEY;;\n"
                            "\n"
                            "  DROP LOGIN a\n"
                            "GO\n"
                            "/* multi\n line */ DROP USER u;DROP ENDPOINT e");
    assert_int_equal(sql_batch_count(b), 5);
    static const sql_stmt_kind kinds[] = {SQL_STMT_USE, SQL_STMT_CLOSE_MASTER_KEY,
                                          SQL_STMT_DROP_LOGIN, SQL_STMT_DROP_USER,
                                          SQL_STMT_DROP_ENDPOINT};
    static const int lines[] = {1, 1, 3, 6, 6};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(sql_batch_stmt(b, i)->kind, kinds[i]);
        assert_int_equal(sql_batch_stmt(b, i)->line, lines[i]);
    }
    sql_batch_free(b);
}

static void test_error_rejects_whole_batch(void **state)
{
    (void)state;
    /* Two good statements, then a bad one on line 4: nothing is returned. */
    expect_syntax("USE master;\nCREATE LOGIN a WITH PASSWORD = 'x';\nGO\nCREATE LOGIN b WITH",
                  "WITH", 4);
    expect_syntax("DROP LOGIN a\nDROP LOGIN b\nDROP LOGON c", "LOGON", 3);
}

static void test_near_token_rules(void **state)
{
    (void)state;
    /* At the end of the batch: the last token. */
    expect_syntax("CREATE LOGIN", "LOGIN", 1);
    expect_syntax("CREATE LOGIN\n\n", "LOGIN", 1);
    /* A GO line ends the batch the server would have seen. */
    expect_syntax("CREATE LOGIN\nGO\nDROP LOGIN x", "LOGIN", 1);
    /* Strings and quoted names are shown without quotes; keywords as written. */
    expect_syntax("USE 'db'", "db", 1);
    expect_syntax("DROP LOGIN a [b c]", "b c", 1);
    expect_syntax("crEATe tAble t", "tAble", 1);
    expect_syntax("INSERT INTO t VALUES (1)", "INSERT", 1);
    expect_syntax("EXEC sp_who", "EXEC", 1);
    expect_syntax("0x12", "0x12", 1);
    expect_syntax("$", "$", 1);
    expect_syntax("\n\n  ;;  foo", "foo", 3);
    expect_syntax("DROP LOGIN\n[x]]y] z", "z", 2);
}

static void test_near_token_never_shows_password(void **state)
{
    (void)state;
    expect_syntax("CREATE LOGIN a WITH PASSWORD 'Secret1!'", "******", 1);
    expect_syntax("CREATE LOGIN a WITH PASSWORD = 'Secret1!' 'again'", "******", 1);
    expect_syntax("OPEN MASTER KEY DECRYPTION BY 'Secret1!'", "******", 1);
    expect_syntax("CREATE LOGIN a WITH PASSWORD = \"Secret1!\"", "******", 1);
    expect_syntax("CREATE LOGIN a WITH PASSWORD = [Secret1!]", "******", 1);
    sql_error e = parse_fail("CREATE LOGIN a WITH PASSWORD = N'Secret1!' x", 44);
    assert_null(strstr(e.message, "Secret1!"));
    assert_string_equal(e.message, "Incorrect syntax near 'x'.");
}

static void test_empty_names(void **state)
{
    (void)state;
    static const char *const texts[] = {"USE []", "DROP LOGIN \"\"", "CREATE USER u FOR LOGIN []",
                                        "GRANT CONNECT ON ENDPOINT::[] TO x"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        sql_error e = parse_fail(texts[i], strlen(texts[i]));
        assert_int_equal(e.number, 1038);
        assert_int_equal(e.cls, 15);
        assert_int_equal(e.line, 1);
    }
}

static void test_lexer_errors_surface(void **state)
{
    (void)state;
    expect_error("USE master\nSELECT 'abc", 105, 15, 1, 2,
                 "Unclosed quotation mark after the character string 'abc'.");
    expect_error("USE master /*", 113, 15, 1, 1, "Missing end comment mark '*/'.");
    sql_error e = parse_fail("USE \xff", 5);
    assert_int_equal(e.number, 102);
}

static void test_statement_cap(void **state)
{
    (void)state;
    const char unit[] = "CLOSE MASTER KEY;";
    size_t ulen = sizeof(unit) - 1;
    size_t n = SQL_MAX_STATEMENTS + 1;
    char *text = malloc(n * ulen + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        memcpy(text + i * ulen, unit, ulen);
    }
    text[(n - 1) * ulen] = '\0';
    sql_batch *b = parse_ok(text);
    assert_int_equal(sql_batch_count(b), SQL_MAX_STATEMENTS);
    sql_batch_free(b);
    text[(n - 1) * ulen] = unit[0];
    sql_error e = parse_fail(text, n * ulen);
    assert_int_equal(e.number, 8623);
    assert_int_equal(e.cls, 16);
    free(text);
}

static void test_list_cap(void **state)
{
    (void)state;
    /* SELECT 1,1,1,...: SQL_MAX_LIST items pass, one more is 8623. */
    size_t n = SQL_MAX_LIST + 1;
    char *text = malloc(8 + 2 * n + 1);
    assert_non_null(text);
    memcpy(text, "SELECT 1", 8);
    size_t len = 8;
    for (size_t i = 1; i < n; i++) {
        text[len++] = ',';
        text[len++] = '1';
    }
    text[len] = '\0';
    sql_error e = parse_fail(text, len);
    assert_int_equal(e.number, 8623);
    text[len - 2] = '\0';
    sql_batch *b = parse_ok(text);
    assert_int_equal(sql_batch_stmt(b, 0)->u.select.nitems, SQL_MAX_LIST);
    sql_batch_free(b);
    free(text);
}

static void test_size_and_token_caps(void **state)
{
    (void)state;
    char *text = malloc(SQL_MAX_BATCH_BYTES + 1);
    assert_non_null(text);
    /* Too many tokens: 8623 before any statement is parsed. */
    memset(text, ';', SQL_MAX_TOKENS + 1);
    sql_error e = parse_fail(text, SQL_MAX_TOKENS + 1);
    assert_int_equal(e.number, 8623);
    /* Too many bytes. */
    memset(text, ' ', SQL_MAX_BATCH_BYTES + 1);
    e = parse_fail(text, SQL_MAX_BATCH_BYTES + 1);
    assert_int_equal(e.number, 8623);
    /* A long string literal within the caps is fine. */
    memset(text, 'a', SQL_MAX_BATCH_BYTES);
    memcpy(text, "SELECT '", 8);
    text[SQL_MAX_BATCH_BYTES - 1] = '\'';
    sql_batch *b = NULL;
    assert_true(mk_ok(sql_parse(text, SQL_MAX_BATCH_BYTES, &b, &e)));
    assert_int_equal(sql_batch_stmt(b, 0)->u.select.items[0].expr.lit.text_len,
                     SQL_MAX_BATCH_BYTES - 9);
    sql_batch_free(b);
    free(text);
}

static void test_error_cleared_on_success(void **state)
{
    (void)state;
    sql_error e;
    sql_error_set(&e, 1, 2, 3, 4, "stale");
    sql_batch *b = NULL;
    assert_true(mk_ok(sql_parse("USE master", 10, &b, &e)));
    assert_int_equal(e.number, 0);
    assert_string_equal(e.message, "");
    sql_batch_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_batches),
        cmocka_unit_test(test_boundaries_and_lines),
        cmocka_unit_test(test_error_rejects_whole_batch),
        cmocka_unit_test(test_near_token_rules),
        cmocka_unit_test(test_near_token_never_shows_password),
        cmocka_unit_test(test_empty_names),
        cmocka_unit_test(test_lexer_errors_surface),
        cmocka_unit_test(test_statement_cap),
        cmocka_unit_test(test_list_cap),
        cmocka_unit_test(test_size_and_token_caps),
        cmocka_unit_test(test_error_cleared_on_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
