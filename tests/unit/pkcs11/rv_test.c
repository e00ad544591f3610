/*
 * CKR names and error rendering: every failure reads "C_X failed: CKR_Y",
 * unknown codes render as CKR_0x..., and the error class follows the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "p11/rv.h"

static void test_known_names(void **state)
{
    (void)state;
    assert_string_equal(p11_rv_name(CKR_OK), "CKR_OK");
    assert_string_equal(p11_rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
    assert_string_equal(p11_rv_name(CKR_KEY_HANDLE_INVALID), "CKR_KEY_HANDLE_INVALID");
    assert_string_equal(p11_rv_name(CKR_DEVICE_REMOVED), "CKR_DEVICE_REMOVED");
    assert_string_equal(p11_rv_name(CKR_ATTRIBUTE_SENSITIVE), "CKR_ATTRIBUTE_SENSITIVE");
    assert_string_equal(p11_rv_name(CKR_CRYPTOKI_ALREADY_INITIALIZED),
                        "CKR_CRYPTOKI_ALREADY_INITIALIZED");
    assert_string_equal(p11_rv_name(CKR_BUFFER_TOO_SMALL), "CKR_BUFFER_TOO_SMALL");
    assert_string_equal(p11_rv_name(CKR_VENDOR_DEFINED), "CKR_VENDOR_DEFINED");
    /* v2.40 numbering and p11-kit's header numbering of the same codes. */
    assert_string_equal(p11_rv_name(0x1b8), "CKR_PIN_TOO_WEAK");
    assert_string_equal(p11_rv_name(0x1c3), "CKR_PIN_TOO_WEAK");
    /* v3.0 codes the p11-kit header lacks. */
    assert_string_equal(p11_rv_name(0x35), "CKR_AEAD_DECRYPT_FAILED");
    assert_string_equal(p11_rv_name(0x201), "CKR_TOKEN_RESOURCE_EXCEEDED");
    assert_string_equal(p11_rv_name(0x202), "CKR_OPERATION_CANCEL_FAILED");
}

static void test_every_header_code_named(void **state)
{
    (void)state;
    /* Every CKR_ the Cryptoki header defines has a real name (no CKR_0x fallback). */
    static const CK_RV codes[] = {
        CKR_CANCEL,
        CKR_HOST_MEMORY,
        CKR_SLOT_ID_INVALID,
        CKR_GENERAL_ERROR,
        CKR_FUNCTION_FAILED,
        CKR_ARGUMENTS_BAD,
        CKR_NO_EVENT,
        CKR_NEED_TO_CREATE_THREADS,
        CKR_CANT_LOCK,
        CKR_ATTRIBUTE_READ_ONLY,
        CKR_ATTRIBUTE_TYPE_INVALID,
        CKR_ATTRIBUTE_VALUE_INVALID,
        CKR_ACTION_PROHIBITED,
        CKR_DATA_INVALID,
        CKR_DATA_LEN_RANGE,
        CKR_DEVICE_ERROR,
        CKR_DEVICE_MEMORY,
        CKR_ENCRYPTED_DATA_INVALID,
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        CKR_FUNCTION_CANCELED,
        CKR_FUNCTION_NOT_PARALLEL,
        CKR_FUNCTION_NOT_SUPPORTED,
        CKR_KEY_SIZE_RANGE,
        CKR_KEY_TYPE_INCONSISTENT,
        CKR_KEY_NOT_NEEDED,
        CKR_KEY_CHANGED,
        CKR_KEY_NEEDED,
        CKR_KEY_INDIGESTIBLE,
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        CKR_KEY_NOT_WRAPPABLE,
        CKR_KEY_UNEXTRACTABLE,
        CKR_MECHANISM_INVALID,
        CKR_MECHANISM_PARAM_INVALID,
        CKR_OBJECT_HANDLE_INVALID,
        CKR_OPERATION_ACTIVE,
        CKR_OPERATION_NOT_INITIALIZED,
        CKR_PIN_INVALID,
        CKR_PIN_LEN_RANGE,
        CKR_PIN_EXPIRED,
        CKR_PIN_LOCKED,
        CKR_SESSION_CLOSED,
        CKR_SESSION_COUNT,
        CKR_SESSION_HANDLE_INVALID,
        CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        CKR_SESSION_READ_ONLY,
        CKR_SESSION_EXISTS,
        CKR_SESSION_READ_ONLY_EXISTS,
        CKR_SESSION_READ_WRITE_SO_EXISTS,
        CKR_SIGNATURE_INVALID,
        CKR_SIGNATURE_LEN_RANGE,
        CKR_TEMPLATE_INCOMPLETE,
        CKR_TEMPLATE_INCONSISTENT,
        CKR_TOKEN_NOT_PRESENT,
        CKR_TOKEN_NOT_RECOGNIZED,
        CKR_TOKEN_WRITE_PROTECTED,
        CKR_UNWRAPPING_KEY_HANDLE_INVALID,
        CKR_UNWRAPPING_KEY_SIZE_RANGE,
        CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
        CKR_USER_ALREADY_LOGGED_IN,
        CKR_USER_NOT_LOGGED_IN,
        CKR_USER_PIN_NOT_INITIALIZED,
        CKR_USER_TYPE_INVALID,
        CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        CKR_USER_TOO_MANY_TYPES,
        CKR_WRAPPED_KEY_INVALID,
        CKR_WRAPPED_KEY_LEN_RANGE,
        CKR_WRAPPING_KEY_HANDLE_INVALID,
        CKR_WRAPPING_KEY_SIZE_RANGE,
        CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        CKR_RANDOM_SEED_NOT_SUPPORTED,
        CKR_RANDOM_NO_RNG,
        CKR_DOMAIN_PARAMS_INVALID,
        CKR_CURVE_NOT_SUPPORTED,
        CKR_SAVED_STATE_INVALID,
        CKR_INFORMATION_SENSITIVE,
        CKR_STATE_UNSAVEABLE,
        CKR_CRYPTOKI_NOT_INITIALIZED,
        CKR_MUTEX_BAD,
        CKR_MUTEX_NOT_LOCKED,
        CKR_NEW_PIN_MODE,
        CKR_NEXT_OTP,
        CKR_EXCEEDED_MAX_ITERATIONS,
        CKR_FIPS_SELF_TEST_FAILED,
        CKR_LIBRARY_LOAD_FAILED,
        CKR_PUBLIC_KEY_INVALID,
        CKR_FUNCTION_REJECTED,
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *n = p11_rv_name(codes[i]);
        if (strncmp(n, "CKR_0x", 6) == 0) {
            fail_msg("code 0x%lx has no name", (unsigned long)codes[i]);
        }
    }
}

static void test_unknown_names(void **state)
{
    (void)state;
    assert_string_equal(p11_rv_name(0x4), "CKR_0x4");
    assert_string_equal(p11_rv_name(0x12345), "CKR_0x12345");
    assert_string_equal(p11_rv_name(CKR_VENDOR_DEFINED | 0x42), "CKR_0x80000042");
    /* The buffer is per call site of the thread, still correct after another call. */
    const char *a = p11_rv_name(0x999);
    assert_string_equal(a, "CKR_0x999");
    assert_string_equal(p11_rv_name(CKR_OK), "CKR_OK");
}

static void test_message_format(void **state)
{
    (void)state;
    mk_error_clear();
    assert_true(mk_failed(P11_FAIL("C_Sign", CKR_KEY_HANDLE_INVALID)));
    assert_string_equal(mk_error_message(), "C_Sign failed: CKR_KEY_HANDLE_INVALID");
    assert_int_equal(mk_error_code(), MK_E_PKCS11);
    assert_non_null(strstr(mk_error_file(), "rv_test.c"));

    assert_true(mk_failed(P11_FAIL("C_Login", CKR_PIN_INCORRECT)));
    assert_string_equal(mk_error_message(), "C_Login failed: CKR_PIN_INCORRECT");
    assert_int_equal(mk_error_code(), MK_E_PIN);

    assert_true(mk_failed(P11_FAIL("C_GetSlotList", 0x7777)));
    assert_string_equal(mk_error_message(), "C_GetSlotList failed: CKR_0x7777");

    assert_true(mk_failed(P11_FAIL_AS(MK_E_TOKEN_LOST, "C_Initialize", CKR_GENERAL_ERROR)));
    assert_string_equal(mk_error_message(), "C_Initialize failed: CKR_GENERAL_ERROR");
    assert_int_equal(mk_error_code(), MK_E_TOKEN_LOST);

    /* Raising on CKR_OK is a bug, and still an error. */
    assert_true(mk_failed(P11_FAIL("C_Foo", CKR_OK)));
    assert_int_equal(mk_error_code(), MK_E_INTERNAL);
}

static void test_classes(void **state)
{
    (void)state;
    assert_int_equal(p11_rv_class(CKR_OK), MK_E_NONE);
    static const CK_RV lost[] = {CKR_DEVICE_REMOVED,         CKR_DEVICE_ERROR,
                                 CKR_TOKEN_NOT_PRESENT,      CKR_TOKEN_NOT_RECOGNIZED,
                                 CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
                                 CKR_SLOT_ID_INVALID,        CKR_CRYPTOKI_NOT_INITIALIZED};
    for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
        assert_true(p11_rv_is_token_lost(lost[i]));
        assert_int_equal(p11_rv_class(lost[i]), MK_E_TOKEN_LOST);
    }
    assert_false(p11_rv_is_token_lost(CKR_OK));
    assert_false(p11_rv_is_token_lost(CKR_OBJECT_HANDLE_INVALID));
    assert_false(p11_rv_is_token_lost(CKR_GENERAL_ERROR));
    assert_int_equal(p11_rv_class(CKR_PIN_INCORRECT), MK_E_PIN);
    assert_int_equal(p11_rv_class(CKR_PIN_LOCKED), MK_E_PIN);
    assert_int_equal(p11_rv_class(CKR_USER_NOT_LOGGED_IN), MK_E_PIN);
    assert_int_equal(p11_rv_class(CKR_SIGNATURE_INVALID), MK_E_CRYPTO);
    assert_int_equal(p11_rv_class(CKR_ENCRYPTED_DATA_INVALID), MK_E_CRYPTO);
    assert_int_equal(p11_rv_class(0x35), MK_E_CRYPTO);
    assert_int_equal(p11_rv_class(CKR_HOST_MEMORY), MK_E_NOMEM);
    assert_int_equal(p11_rv_class(CKR_MECHANISM_INVALID), MK_E_INVALID);
    assert_int_equal(p11_rv_class(CKR_ATTRIBUTE_SENSITIVE), MK_E_PERM);
    assert_int_equal(p11_rv_class(CKR_GENERAL_ERROR), MK_E_PKCS11);
    assert_int_equal(p11_rv_class(0x99999), MK_E_PKCS11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_names),   cmocka_unit_test(test_every_header_code_named),
        cmocka_unit_test(test_unknown_names), cmocka_unit_test(test_message_format),
        cmocka_unit_test(test_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
