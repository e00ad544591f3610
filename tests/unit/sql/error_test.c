/*
 * sql_error helpers: fields set, messages truncated at a UTF-8 boundary,
 * the 102 text, and the near-text cap that keeps the message whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "sql/error.h"

static void test_set_and_clear(void **state)
{
    (void)state;
    sql_error e;
    sql_error_set(&e, 15151, 16, 1, 7, "Cannot find the %s '%s'.", "login", "x");
    assert_int_equal(e.number, 15151);
    assert_int_equal(e.cls, 16);
    assert_int_equal(e.state, 1);
    assert_int_equal(e.line, 7);
    assert_string_equal(e.message, "Cannot find the login 'x'.");
    sql_error_clear(&e);
    assert_int_equal(e.number, 0);
    assert_int_equal(e.line, 0);
    assert_string_equal(e.message, "");
}

static void test_long_message_cut_on_character(void **state)
{
    (void)state;
    /* 'a' then two-byte characters: the cut at byte 511 would split one. */
    char text[1200];
    text[0] = 'a';
    for (size_t i = 0; i < 550; i++) {
        text[1 + 2 * i] = (char)0xC3;
        text[2 + 2 * i] = (char)0xA9;
    }
    text[1101] = '\0';
    sql_error e;
    sql_error_set(&e, 50000, 16, 1, 1, "%s", text);
    size_t len = strlen(e.message);
    assert_true(len <= sizeof(e.message) - 1);
    assert_int_equal(len % 2, 1); /* 'a' plus whole characters */
    assert_int_equal(sql_utf8_valid_prefix(e.message, len), len);
}

static void test_syntax_message(void **state)
{
    (void)state;
    sql_error e;
    sql_error_syntax(&e, 3, "FROM x", 4);
    assert_int_equal(e.number, 102);
    assert_int_equal(e.cls, 15);
    assert_int_equal(e.state, 1);
    assert_int_equal(e.line, 3);
    assert_string_equal(e.message, "Incorrect syntax near 'FROM'.");

    char near[1000];
    memset(near, 'x', sizeof(near));
    sql_error_syntax(&e, 1, near, sizeof(near));
    size_t len = strlen(e.message);
    assert_true(len < sizeof(e.message) - 1);
    assert_string_equal(e.message + len - 2, "'.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_clear),
        cmocka_unit_test(test_long_message_cut_on_character),
        cmocka_unit_test(test_syntax_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
