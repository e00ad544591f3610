/*
 * Unit tests for pkcs11/src/uri_match.c: URIs matched against Cryptoki's
 * blank-padded fixed-width token, library and slot fields, with absent
 * attributes matching anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mk/result.h"
#include "p11/uri.h"

/* ---- helpers ---- */

static p11_uri *parse_ok(const char *text)
{
    p11_uri *u = NULL;
    mk_error_clear();
    if (mk_failed(p11_uri_parse(text, &u))) {
        fail_msg("parse of '%.200s' failed: %s", text, mk_error_message());
    }
    assert_non_null(u);
    return u;
}

/* Parsing must fail with `code` and a message that starts with the URI prefix
 * and contains every given fragment. */
/* ---- matching ---- */

static void test_match_token(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:token=My%20Token;manufacturer=SoftHSM%20project");
    assert_true(p11_uri_match_token(u, "My Token                        ",
                                    "SoftHSM project                 ", "0123", "SoftHSM v2"));
    assert_true(p11_uri_match_token(u, "My Token", "SoftHSM project", NULL, NULL));
    assert_false(
        p11_uri_match_token(u, "My Tokens                       ", "SoftHSM project", "", ""));
    assert_false(p11_uri_match_token(u, "My token", "SoftHSM project", "", ""));
    assert_false(p11_uri_match_token(u, " My Token", "SoftHSM project", "", ""));
    assert_false(p11_uri_match_token(u, "My Token", "Other", "", ""));
    assert_false(p11_uri_match_token(u, NULL, "SoftHSM project", "", ""));
    p11_uri_free(u);
    /* Empty URI matches any token; an empty value matches a blank field. */
    u = parse_ok("pkcs11:");
    assert_true(p11_uri_match_token(u, "x", "y", "z", "w"));
    p11_uri_free(u);
    u = parse_ok("pkcs11:serial=;model=M%20%20");
    assert_true(p11_uri_match_token(u, "any", "any", "                ", "M               "));
    assert_false(p11_uri_match_token(u, "any", "any", "1               ", "M"));
    assert_false(p11_uri_match_token(u, "any", "any", "", "MM"));
    p11_uri_free(u);
}

static void test_match_library(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:library-manufacturer=SoftHSM;library-description=Impl;"
                          "library-version=2.6");
    assert_true(p11_uri_match_library(u, "SoftHSM                         ",
                                      "Impl                            ", 2, 6));
    assert_false(p11_uri_match_library(u, "SoftHSM", "Impl", 2, 5));
    assert_false(p11_uri_match_library(u, "SoftHSM", "Impl", 3, 6));
    assert_false(p11_uri_match_library(u, "SoftHSM2", "Impl", 2, 6));
    assert_false(p11_uri_match_library(u, "SoftHSM", "Impl2", 2, 6));
    p11_uri_free(u);
    u = parse_ok("pkcs11:library-version=2");
    assert_true(p11_uri_match_library(u, "a", "b", 2, 0));
    assert_false(p11_uri_match_library(u, "a", "b", 2, 1));
    p11_uri_free(u);
    u = parse_ok("pkcs11:token=t");
    assert_true(p11_uri_match_library(u, "a", "b", 9, 9));
    p11_uri_free(u);
}

static void test_match_slot(void **state)
{
    (void)state;
    p11_uri *u = parse_ok("pkcs11:slot-manufacturer=Maker;slot-description=Slot%201;slot-id=5");
    assert_true(p11_uri_match_slot(u, "Maker                           ",
                                   "Slot 1                                                   ", 5));
    assert_false(p11_uri_match_slot(u, "Maker", "Slot 1", 6));
    assert_false(p11_uri_match_slot(u, "Maker", "Slot 2", 5));
    assert_false(p11_uri_match_slot(u, "Makers", "Slot 1", 5));
    p11_uri_free(u);
    u = parse_ok("pkcs11:slot-id=0");
    assert_true(p11_uri_match_slot(u, "x", "y", 0));
    assert_false(p11_uri_match_slot(u, "x", "y", 1));
    p11_uri_free(u);
    u = parse_ok("pkcs11:");
    assert_true(p11_uri_match_slot(u, "x", "y", 12345));
    p11_uri_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_token),
        cmocka_unit_test(test_match_library),
        cmocka_unit_test(test_match_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
