/*
 * Helpers shared by the sql unit tests: parse a batch that must succeed, or
 * one that must fail with a given SQL Server error number, line and text.
 * Include after <cmocka.h>.
 */
#ifndef SQL_TEST_UTIL_H
#define SQL_TEST_UTIL_H

#include <stdio.h>
#include <string.h>

#include "sql/parser.h"

/* Parse text; fail the test with the SQL error when it does not parse. */
static inline sql_batch *parse_ok(const char *text)
{
    sql_batch *b = NULL;
    sql_error e;
    if (mk_failed(sql_parse(text, strlen(text), &b, &e))) {
        fail_msg("parse failed: error %d line %d: %s\n--- batch:\n%s", e.number, e.line, e.message,
                 text);
    }
    assert_non_null(b);
    assert_int_equal(e.number, 0);
    return b;
}

/* Parse text that holds exactly one statement of the given kind. */
static inline sql_stmt *parse_one(const char *text, sql_stmt_kind kind, sql_batch **b)
{
    *b = parse_ok(text);
    assert_int_equal(sql_batch_count(*b), 1);
    sql_stmt *s = sql_batch_stmt(*b, 0);
    assert_int_equal(s->kind, kind);
    return s;
}

/* Parse text that must fail; returns the error for more checks. */
static inline sql_error parse_fail(const char *text, size_t len)
{
    sql_batch *b = (sql_batch *)&b; /* must be reset to NULL */
    sql_error e;
    assert_true(mk_failed(sql_parse(text, len, &b, &e)));
    assert_null(b);
    return e;
}

/* text must fail with `number` at `line` and exactly `message`. */
static inline void expect_error(const char *text, int number, int cls, int state, int line,
                                const char *message)
{
    sql_error e = parse_fail(text, strlen(text));
    if (e.number != number || e.line != line || strcmp(e.message, message) != 0) {
        fail_msg("expected %d line %d \"%s\"\n     got %d line %d \"%s\"\n--- batch:\n%s", number,
                 line, message, e.number, e.line, e.message, text);
    }
    assert_int_equal(e.cls, cls);
    assert_int_equal(e.state, state);
}

/* text must fail with error 102 near `near` on `line`. */
static inline void expect_syntax(const char *text, const char *near, int line)
{
    char msg[600];
    snprintf(msg, sizeof(msg), "Incorrect syntax near '%s'.", near);
    expect_error(text, 102, 15, 1, line, msg);
}

#endif
