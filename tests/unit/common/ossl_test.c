/*
 * Unit tests for mk_ossl_fail (common/src/ossl.c): the first queued OpenSSL
 * reason, the last one when there are several, "no detail" on an empty
 * queue, and the queue cleared afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "mk/ossl.h"

static void test_empty_queue(void **state)
{
    (void)state;
    ERR_clear_error();
    assert_true(mk_failed(MK_OSSL_FAIL(MK_E_CRYPTO, "step")));
    assert_int_equal(mk_error_code(), MK_E_CRYPTO);
    assert_string_equal(mk_error_message(), "step: no detail");
}

static void test_first_and_last(void **state)
{
    (void)state;
    ERR_clear_error();
    ERR_raise_data(ERR_LIB_EVP, EVP_R_NO_KEY_SET, "the cause");
    ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
    assert_true(mk_failed(MK_OSSL_FAIL(MK_E_IO, "TLS handshake")));
    const char *msg = mk_error_message();
    assert_non_null(strstr(msg, "TLS handshake: "));
    assert_non_null(strstr(msg, "no key set"));
    assert_non_null(strstr(msg, "(then: "));
    assert_non_null(strstr(msg, "internal error"));
    assert_true(strstr(msg, "no key set") < strstr(msg, "internal error"));
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_one_error(void **state)
{
    (void)state;
    ERR_clear_error();
    ERR_raise(ERR_LIB_EVP, EVP_R_NO_KEY_SET);
    assert_true(mk_failed(MK_OSSL_FAIL(MK_E_CRYPTO, "sign")));
    assert_non_null(strstr(mk_error_message(), "no key set"));
    assert_null(strstr(mk_error_message(), "then:"));
    assert_int_equal(ERR_peek_error(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_queue),
        cmocka_unit_test(test_first_and_last),
        cmocka_unit_test(test_one_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
