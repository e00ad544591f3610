/*
 * Text helpers: keyword comparison, UTF-8 validation (overlongs,
 * surrogates, out of range, truncation, NUL), cutting at a character
 * boundary, character counts and the reserved-word list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static void test_ieq(void **state)
{
    (void)state;
    assert_true(sql_ieq("select", 6, "SELECT"));
    assert_true(sql_ieq("SeLeCt", 6, "SELECT"));
    assert_false(sql_ieq("selec", 5, "SELECT"));
    assert_false(sql_ieq("selects", 7, "SELECT"));
    assert_false(sql_ieq("s\xc3\xa9", 3, "SE"));
    assert_true(sql_ieq("", 0, ""));
}

static void test_utf8_valid_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len, valid;
    } cases[] = {
        {"abc", 3, 3},
        {"a\xc3\xa9z", 4, 4},
        {"\xe2\x82\xac", 3, 3},      /* U+20AC */
        {"\xf0\x9f\x98\x80", 4, 4},  /* U+1F600 */
        {"a\xc0\x80", 3, 1},         /* overlong NUL */
        {"a\xc1\xbf", 3, 1},         /* overlong */
        {"a\xe0\x80\x80", 4, 1},     /* overlong */
        {"a\xf0\x80\x80\x80", 5, 1}, /* overlong */
        {"a\xed\xa0\x80", 4, 1},     /* surrogate */
        {"a\xf4\x90\x80\x80", 5, 1}, /* above U+10FFFF */
        {"a\xf5\x80\x80\x80", 5, 1}, /* bad lead */
        {"a\xe2\x82", 3, 1},         /* truncated */
        {"a\xe2\x28\xa1", 4, 1},     /* bad continuation */
        {"a\x80", 2, 1},             /* stray continuation */
        {"a\0b", 3, 1},              /* NUL */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(sql_utf8_valid_prefix(cases[i].s, cases[i].len), cases[i].valid);
    }
}

static void test_utf8_clip(void **state)
{
    (void)state;
    const char *s = "a\xc3\xa9\xe2\x82\xac"; /* a, e-acute, euro: 1 + 2 + 3 bytes */
    assert_int_equal(sql_utf8_clip(s, 6, 10), 6);
    assert_int_equal(sql_utf8_clip(s, 6, 6), 6);
    assert_int_equal(sql_utf8_clip(s, 6, 5), 3);
    assert_int_equal(sql_utf8_clip(s, 6, 4), 3);
    assert_int_equal(sql_utf8_clip(s, 6, 3), 3);
    assert_int_equal(sql_utf8_clip(s, 6, 2), 1);
    assert_int_equal(sql_utf8_clip(s, 6, 1), 1);
    assert_int_equal(sql_utf8_clip(s, 6, 0), 0);
    /* A text that itself ends in the middle of a character. */
    assert_int_equal(sql_utf8_clip(s, 5, 100), 3);
    assert_int_equal(sql_utf8_clip("\x80\x80", 2, 2), 0);
}

static void test_utf8_chars(void **state)
{
    (void)state;
    assert_int_equal(sql_utf8_chars("a\xc3\xa9\xe2\x82\xac", 6), 3);
    assert_int_equal(sql_utf8_chars("", 0), 0);
}

static void test_reserved(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "SELECT",          "select",      "ADD",
        "WRITETEXT",       "Use",         "public",
        "IDENTITY_INSERT", "IDENTITYCOL", "SEMANTICSIMILARITYDETAILSTABLE"};
    static const char *const no[] = {"CERTIFICATE",
                                     "ENDPOINT",
                                     "LOGIN",
                                     "PASSWORD",
                                     "master",
                                     "SELECTX",
                                     "",
                                     "GO",
                                     "ROLE",
                                     "STATE",
                                     "SEMANTICSIMILARITYDETAILSTABLEX"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_true(sql_is_reserved(yes[i], strlen(yes[i])));
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_false(sql_is_reserved(no[i], strlen(no[i])));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ieq),       cmocka_unit_test(test_utf8_valid_prefix),
        cmocka_unit_test(test_utf8_clip), cmocka_unit_test(test_utf8_chars),
        cmocka_unit_test(test_reserved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
