/*
 * Lexer tests: every token kind with its decoded value, comments (nested),
 * quoting rules, binary literals, GO lines, line numbers, and every error
 * the lexer raises (105, 113, 103, 102 for bad UTF-8, 8623 over a cap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/lexer.h"

static sql_token_list *lex_ok(const char *text, size_t len)
{
    sql_token_list *l = NULL;
    sql_error e;
    if (mk_failed(sql_lex(text, len, &l, &e))) {
        fail_msg("lex failed: %d line %d: %s", e.number, e.line, e.message);
    }
    assert_int_equal(e.number, 0);
    return l;
}

static sql_token_list *lex_str(const char *text) { return lex_ok(text, strlen(text)); }

static sql_error lex_fail(const char *text, size_t len)
{
    sql_token_list *l = (sql_token_list *)&l;
    sql_error e;
    assert_true(mk_failed(sql_lex(text, len, &l, &e)));
    assert_null(l);
    return e;
}

static const sql_token *tok(const sql_token_list *l, size_t i)
{
    const sql_token *t = sql_token_list_at(l, i);
    assert_non_null(t);
    return t;
}

static void assert_tok(const sql_token_list *l, size_t i, sql_tok_kind kind, const char *value)
{
    const sql_token *t = tok(l, i);
    if (t->kind != kind) {
        fail_msg("token %zu: kind %s, expected %s", i, sql_tok_kind_name(t->kind),
                 sql_tok_kind_name(kind));
    }
    if (value != NULL) {
        assert_int_equal(t->value_len, strlen(value));
        assert_memory_equal(t->value, value, t->value_len);
        assert_int_equal(t->value[t->value_len], '\0');
    }
}

static void test_token_kinds(void **state)
{
    (void)state;
    static const struct {
        sql_tok_kind kind;
        const char *value;
    } want[] = {
        {SQL_TOK_IDENT, "ident"},
        {SQL_TOK_QIDENT, "br]acket"},
        {SQL_TOK_QIDENT, "dq\"x"},
        {SQL_TOK_STRING, "it's"},
        {SQL_TOK_NSTRING, "nat"},
        {SQL_TOK_NSTRING, "low"},
        {SQL_TOK_INTEGER, "42"},
        {SQL_TOK_DECIMAL, "4.5"},
        {SQL_TOK_DECIMAL, ".5"},
        {SQL_TOK_DECIMAL, "1e3"},
        {SQL_TOK_DECIMAL, "2.5E-3"},
        {SQL_TOK_DECIMAL, "7."},
        {SQL_TOK_SYSVAR, "@@VERSION"},
        {SQL_TOK_VARIABLE, "@v"},
        {SQL_TOK_IDENT, "#tmp$1"},
        {SQL_TOK_EQ, "="},
        {SQL_TOK_NE, "<>"},
        {SQL_TOK_NE, "!="},
        {SQL_TOK_LT, "<"},
        {SQL_TOK_GT, ">"},
        {SQL_TOK_LE, "<="},
        {SQL_TOK_GE, ">="},
        {SQL_TOK_COMMA, ","},
        {SQL_TOK_LPAREN, "("},
        {SQL_TOK_RPAREN, ")"},
        {SQL_TOK_SEMI, ";"},
        {SQL_TOK_DOT, "."},
        {SQL_TOK_SCOPE, "::"},
        {SQL_TOK_STAR, "*"},
        {SQL_TOK_PLUS, "+"},
        {SQL_TOK_MINUS, "-"},
        {SQL_TOK_OTHER, "$"},
        {SQL_TOK_EOF, ""},
    };
    sql_token_list *l = lex_str("ident [br]]acket] \"dq\"\"x\" 'it''s' N'nat' n'low' 42 4.5 .5 "
                                "1e3 2.5E-3 7. @@VERSION @v #tmp$1 = <> != < > <= >= , ( ) ; . "
                                ":: * + - $");
    assert_int_equal(sql_token_list_count(l), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_tok(l, i, want[i].kind, want[i].value);
    }
    assert_int_equal(tok(l, 1)->quote, '[');
    assert_int_equal(tok(l, 2)->quote, '"');
    assert_int_equal(tok(l, 0)->quote, 0);
    /* pos/len give the token as written. */
    assert_int_equal(tok(l, 1)->pos, 6);
    assert_int_equal(tok(l, 1)->len, strlen("[br]]acket]"));
    sql_token_list_free(l);
}

static void test_keywords_are_identifiers(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("select SeLeCt [select]");
    assert_tok(l, 0, SQL_TOK_IDENT, "select");
    assert_tok(l, 1, SQL_TOK_IDENT, "SeLeCt");
    assert_tok(l, 2, SQL_TOK_QIDENT, "select");
    assert_tok(l, 3, SQL_TOK_EOF, NULL);
    sql_token_list_free(l);
}

static void test_multipart_and_scope(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("master.sys.certificates ENDPOINT::[e p] a..b");
    static const sql_tok_kind kinds[] = {
        SQL_TOK_IDENT, SQL_TOK_DOT,   SQL_TOK_IDENT,  SQL_TOK_DOT,   SQL_TOK_IDENT,
        SQL_TOK_IDENT, SQL_TOK_SCOPE, SQL_TOK_QIDENT, SQL_TOK_IDENT, SQL_TOK_DOT,
        SQL_TOK_DOT,   SQL_TOK_IDENT, SQL_TOK_EOF,
    };
    assert_int_equal(sql_token_list_count(l), sizeof(kinds) / sizeof(kinds[0]));
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_int_equal(tok(l, i)->kind, kinds[i]);
    }
    assert_tok(l, 7, SQL_TOK_QIDENT, "e p");
    sql_token_list_free(l);
}

static void test_comments_and_lines(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("a -- line comment 'x\n"
                                "b /* block /* nested\n"
                                " */ still comment */ c\n"
                                "-- last line without newline");
    assert_int_equal(sql_token_list_count(l), 4);
    assert_tok(l, 0, SQL_TOK_IDENT, "a");
    assert_int_equal(tok(l, 0)->line, 1);
    assert_tok(l, 1, SQL_TOK_IDENT, "b");
    assert_int_equal(tok(l, 1)->line, 2);
    assert_tok(l, 2, SQL_TOK_IDENT, "c");
    assert_int_equal(tok(l, 2)->line, 3);
    assert_tok(l, 3, SQL_TOK_EOF, NULL);
    assert_int_equal(tok(l, 3)->line, 4);
    sql_token_list_free(l);
}

static void test_multiline_tokens_count_lines(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("'a\nb' x\r\n[c\nd] y\n\"e\nf\" z");
    assert_tok(l, 0, SQL_TOK_STRING, "a\nb");
    assert_int_equal(tok(l, 0)->line, 1);
    assert_int_equal(tok(l, 1)->line, 2);
    assert_tok(l, 2, SQL_TOK_QIDENT, "c\nd");
    assert_int_equal(tok(l, 2)->line, 3);
    assert_int_equal(tok(l, 3)->line, 4);
    assert_int_equal(tok(l, 4)->line, 5);
    assert_int_equal(tok(l, 5)->line, 6);
    sql_token_list_free(l);
}

static void test_strings(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("'' '''' 'a''b''' N'' 'C:\\x.cer' 'h\xc3\xa9'");
    assert_tok(l, 0, SQL_TOK_STRING, "");
    assert_tok(l, 1, SQL_TOK_STRING, "'");
    assert_tok(l, 2, SQL_TOK_STRING, "a'b'");
    assert_tok(l, 3, SQL_TOK_NSTRING, "");
    assert_tok(l, 4, SQL_TOK_STRING, "C:\\x.cer");
    assert_tok(l, 5, SQL_TOK_STRING, "h\xc3\xa9");
    sql_token_list_free(l);
}

static void test_binary_literals(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("0x 0xABC 0x0aBc 0X1 0x00ff 0x12g");
    assert_tok(l, 0, SQL_TOK_BINARY, NULL);
    assert_int_equal(tok(l, 0)->value_len, 0);
    const uint8_t odd[] = {0x0A, 0xBC};
    assert_int_equal(tok(l, 1)->value_len, 2);
    assert_memory_equal(tok(l, 1)->value, odd, 2);
    assert_int_equal(tok(l, 2)->value_len, 2);
    assert_memory_equal(tok(l, 2)->value, odd, 2);
    assert_int_equal(tok(l, 3)->value_len, 1);
    assert_int_equal((uint8_t)tok(l, 3)->value[0], 0x01);
    const uint8_t zf[] = {0x00, 0xFF};
    assert_int_equal(tok(l, 4)->value_len, 2);
    assert_memory_equal(tok(l, 4)->value, zf, 2);
    /* 0x12g: binary 0x12 then the identifier g, as SQL Server reads it. */
    assert_int_equal(tok(l, 5)->kind, SQL_TOK_BINARY);
    assert_int_equal(tok(l, 5)->value_len, 1);
    assert_tok(l, 6, SQL_TOK_IDENT, "g");
    sql_token_list_free(l);
}

static void test_numbers_and_words_split(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("10.0.0.1 123abc 1e 1e+");
    assert_tok(l, 0, SQL_TOK_DECIMAL, "10.0");
    assert_tok(l, 1, SQL_TOK_DECIMAL, ".0");
    assert_tok(l, 2, SQL_TOK_DECIMAL, ".1");
    assert_tok(l, 3, SQL_TOK_INTEGER, "123");
    assert_tok(l, 4, SQL_TOK_IDENT, "abc");
    assert_tok(l, 5, SQL_TOK_INTEGER, "1");
    assert_tok(l, 6, SQL_TOK_IDENT, "e");
    assert_tok(l, 7, SQL_TOK_INTEGER, "1");
    assert_tok(l, 8, SQL_TOK_IDENT, "e");
    assert_tok(l, 9, SQL_TOK_PLUS, "+");
    sql_token_list_free(l);
}

static void test_go_lines(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("a\n"
                                "GO\n"
                                "b\n"
                                "  go 3  \r\n"
                                "c\n"
                                "\tGo -- comment\n"
                                "GOx\n"
                                "GO;\n"
                                "x GO\n"
                                "/* c */ GO\n"
                                "GO 2x\n"
                                "GO");
    static const struct {
        sql_tok_kind kind;
        const char *value;
        int line;
    } want[] = {
        {SQL_TOK_IDENT, "a", 1},   {SQL_TOK_GO, "", 2},        {SQL_TOK_IDENT, "b", 3},
        {SQL_TOK_GO, "3", 4},      {SQL_TOK_IDENT, "c", 5},    {SQL_TOK_GO, "", 6},
        {SQL_TOK_IDENT, "GOx", 7}, {SQL_TOK_IDENT, "GO", 8},   {SQL_TOK_SEMI, ";", 8},
        {SQL_TOK_IDENT, "x", 9},   {SQL_TOK_IDENT, "GO", 9},   {SQL_TOK_IDENT, "GO", 10},
        {SQL_TOK_IDENT, "GO", 11}, {SQL_TOK_INTEGER, "2", 11}, {SQL_TOK_IDENT, "x", 11},
        {SQL_TOK_GO, "", 12},      {SQL_TOK_EOF, "", 12},
    };
    assert_int_equal(sql_token_list_count(l), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_tok(l, i, want[i].kind, want[i].value);
        assert_int_equal(tok(l, i)->line, want[i].line);
    }
    sql_token_list_free(l);
}

static void test_unicode(void **state)
{
    (void)state;
    /* BOM, a non-ASCII identifier, a no-break space between words. */
    sql_token_list *l = lex_str("\xef\xbb\xbfH\xc3\x96ST_cert\xc2\xa0x");
    assert_int_equal(sql_token_list_count(l), 3);
    assert_tok(l, 0, SQL_TOK_IDENT, "H\xc3\x96ST_cert");
    assert_tok(l, 1, SQL_TOK_IDENT, "x");
    sql_token_list_free(l);
}

static void test_empty_and_blank(void **state)
{
    (void)state;
    sql_token_list *l = lex_ok(NULL, 0);
    assert_int_equal(sql_token_list_count(l), 1);
    assert_tok(l, 0, SQL_TOK_EOF, "");
    assert_int_equal(tok(l, 0)->line, 1);
    assert_null(sql_token_list_at(l, 1));
    sql_token_list_free(l);
    l = lex_str(" \t\n\v\f-- x\n/**/");
    assert_int_equal(sql_token_list_count(l), 1);
    assert_int_equal(tok(l, 0)->line, 3);
    sql_token_list_free(l);
    sql_token_list_free(NULL);
}

static void assert_lex_error(const char *text, int number, int state, int line, const char *message)
{
    sql_error e = lex_fail(text, strlen(text));
    assert_int_equal(e.number, number);
    assert_int_equal(e.cls, 15);
    assert_int_equal(e.state, state);
    assert_int_equal(e.line, line);
    assert_string_equal(e.message, message);
}

static void test_unclosed_quotes(void **state)
{
    (void)state;
    assert_lex_error("SELECT 'abc", 105, 1, 1,
                     "Unclosed quotation mark after the character string 'abc'.");
    assert_lex_error("SELECT\n N'a''b\nc", 105, 1, 2,
                     "Unclosed quotation mark after the character string 'a'b\nc'.");
    assert_lex_error("USE [abc", 105, 1, 1,
                     "Unclosed quotation mark after the character string 'abc'.");
    assert_lex_error("USE [a]]", 105, 1, 1,
                     "Unclosed quotation mark after the character string 'a]'.");
    assert_lex_error("USE \"abc", 105, 1, 1,
                     "Unclosed quotation mark after the character string 'abc'.");
    assert_lex_error("'", 105, 1, 1, "Unclosed quotation mark after the character string ''.");
}

static void test_unclosed_password_is_redacted(void **state)
{
    (void)state;
    assert_lex_error("CREATE LOGIN l WITH PASSWORD = 'Secret1!", 105, 1, 1,
                     "Unclosed quotation mark after the character string '******'.");
    assert_lex_error("OPEN MASTER KEY DECRYPTION BY PASSWORD='Secret1!", 105, 1, 1,
                     "Unclosed quotation mark after the character string '******'.");
    assert_lex_error("ALTER LOGIN l WITH PASSWORD = 'a' OLD_PASSWORD = N'Secret1!", 105, 1, 1,
                     "Unclosed quotation mark after the character string '******'.");
    assert_lex_error("CREATE LOGIN l WITH PASSWORD = \"Secret1!", 105, 1, 1,
                     "Unclosed quotation mark after the character string '******'.");
}

static void test_unclosed_comment(void **state)
{
    (void)state;
    assert_lex_error("a /* b /* c */", 113, 1, 1, "Missing end comment mark '*/'.");
    assert_lex_error("a\n\n/* b\n\n", 113, 1, 3, "Missing end comment mark '*/'.");
    assert_lex_error("/*/", 113, 1, 1, "Missing end comment mark '*/'.");
}

static void test_identifier_length(void **state)
{
    (void)state;
    char name[200];
    memset(name, 'a', 128);
    name[128] = '\0';
    sql_token_list *l = lex_str(name);
    assert_int_equal(tok(l, 0)->value_len, 128);
    sql_token_list_free(l);

    char msg[400];
    snprintf(msg, sizeof(msg),
             "The identifier that starts with '%s' is too long. Maximum length is 128.", name);
    memset(name, 'a', 129);
    name[129] = '\0';
    assert_lex_error(name, 103, 4, 1, msg);

    char bracketed[200];
    snprintf(bracketed, sizeof(bracketed), "\n[%s]", name);
    assert_lex_error(bracketed, 103, 4, 2, msg);

    /* 128 two-byte characters are still 128 characters. */
    char wide[300];
    for (size_t i = 0; i < 128; i++) {
        wide[2 * i] = (char)0xC3;
        wide[2 * i + 1] = (char)0xA9;
    }
    wide[256] = '\0';
    l = lex_str(wide);
    assert_int_equal(tok(l, 0)->value_len, 256);
    sql_token_list_free(l);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a\n\xff",          "\xc0\xaf", "\xed\xa0\x80", /* surrogate */
        "\xf4\x90\x80\x80", "\xe2\x82", "x\x80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sql_error e = lex_fail(bad[i], strlen(bad[i]));
        assert_int_equal(e.number, 102);
        assert_string_equal(e.message, "Incorrect syntax near '\xef\xbf\xbd'.");
    }
    assert_int_equal(lex_fail(bad[0], strlen(bad[0])).line, 2);
    /* An embedded NUL is refused too. */
    sql_error e = lex_fail("USE a\0b", 7);
    assert_int_equal(e.number, 102);
}

static void test_other_characters(void **state)
{
    (void)state;
    sql_token_list *l = lex_str("a ! b : c / d \x01");
    assert_tok(l, 1, SQL_TOK_OTHER, "!");
    assert_tok(l, 3, SQL_TOK_OTHER, ":");
    assert_tok(l, 5, SQL_TOK_OTHER, "/");
    assert_tok(l, 7, SQL_TOK_OTHER, "\x01");
    sql_token_list_free(l);
}

static void test_caps(void **state)
{
    (void)state;
    /* Exactly SQL_MAX_TOKENS tokens are fine; one more is error 8623. */
    char *text = malloc(SQL_MAX_BATCH_BYTES + 1);
    assert_non_null(text);
    memset(text, ';', SQL_MAX_TOKENS);
    sql_token_list *l = lex_ok(text, SQL_MAX_TOKENS);
    assert_int_equal(sql_token_list_count(l), SQL_MAX_TOKENS + 1);
    sql_token_list_free(l);
    memset(text, ';', SQL_MAX_TOKENS + 1);
    sql_error e = lex_fail(text, SQL_MAX_TOKENS + 1);
    assert_int_equal(e.number, 8623);
    assert_int_equal(e.cls, 16);

    /* A batch over SQL_MAX_BATCH_BYTES is refused before it is read. */
    memset(text, ' ', SQL_MAX_BATCH_BYTES + 1);
    l = lex_ok(text, SQL_MAX_BATCH_BYTES);
    sql_token_list_free(l);
    e = lex_fail(text, SQL_MAX_BATCH_BYTES + 1);
    assert_int_equal(e.number, 8623);
    free(text);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(sql_tok_kind_name(SQL_TOK_EOF), "EOF");
    assert_string_equal(sql_tok_kind_name(SQL_TOK_SCOPE), "::");
    assert_string_equal(sql_tok_kind_name(SQL_TOK_GO), "GO");
    assert_string_equal(sql_tok_kind_name(SQL_TOK_OTHER), "OTHER");
    assert_string_equal(sql_tok_kind_name((sql_tok_kind)999), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_kinds),
        cmocka_unit_test(test_keywords_are_identifiers),
        cmocka_unit_test(test_multipart_and_scope),
        cmocka_unit_test(test_comments_and_lines),
        cmocka_unit_test(test_multiline_tokens_count_lines),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_binary_literals),
        cmocka_unit_test(test_numbers_and_words_split),
        cmocka_unit_test(test_go_lines),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_unclosed_quotes),
        cmocka_unit_test(test_unclosed_password_is_redacted),
        cmocka_unit_test(test_unclosed_comment),
        cmocka_unit_test(test_identifier_length),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_other_characters),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
