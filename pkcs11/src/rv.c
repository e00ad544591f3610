/*
 * CK_RV names (PKCS#11 v2.40 §11.1 and v3.0 §5.1) and their mirrorkey error
 * classes. The table is the only place that knows every return value.
 */
#include "p11/rv.h"

#include <stdio.h>

typedef struct rv_entry {
    CK_RV rv;
    const char *name;
} rv_entry;

/* Values are literal so that codes newer than the p11-kit header are covered too. */
static const rv_entry rv_table[] = {
    {0x00, "CKR_OK"},
    {0x01, "CKR_CANCEL"},
    {0x02, "CKR_HOST_MEMORY"},
    {0x03, "CKR_SLOT_ID_INVALID"},
    {0x05, "CKR_GENERAL_ERROR"},
    {0x06, "CKR_FUNCTION_FAILED"},
    {0x07, "CKR_ARGUMENTS_BAD"},
    {0x08, "CKR_NO_EVENT"},
    {0x09, "CKR_NEED_TO_CREATE_THREADS"},
    {0x0a, "CKR_CANT_LOCK"},
    {0x10, "CKR_ATTRIBUTE_READ_ONLY"},
    {0x11, "CKR_ATTRIBUTE_SENSITIVE"},
    {0x12, "CKR_ATTRIBUTE_TYPE_INVALID"},
    {0x13, "CKR_ATTRIBUTE_VALUE_INVALID"},
    {0x1b, "CKR_ACTION_PROHIBITED"},
    {0x20, "CKR_DATA_INVALID"},
    {0x21, "CKR_DATA_LEN_RANGE"},
    {0x30, "CKR_DEVICE_ERROR"},
    {0x31, "CKR_DEVICE_MEMORY"},
    {0x32, "CKR_DEVICE_REMOVED"},
    {0x35, "CKR_AEAD_DECRYPT_FAILED"},
    {0x40, "CKR_ENCRYPTED_DATA_INVALID"},
    {0x41, "CKR_ENCRYPTED_DATA_LEN_RANGE"},
    {0x50, "CKR_FUNCTION_CANCELED"},
    {0x51, "CKR_FUNCTION_NOT_PARALLEL"},
    {0x54, "CKR_FUNCTION_NOT_SUPPORTED"},
    {0x60, "CKR_KEY_HANDLE_INVALID"},
    {0x62, "CKR_KEY_SIZE_RANGE"},
    {0x63, "CKR_KEY_TYPE_INCONSISTENT"},
    {0x64, "CKR_KEY_NOT_NEEDED"},
    {0x65, "CKR_KEY_CHANGED"},
    {0x66, "CKR_KEY_NEEDED"},
    {0x67, "CKR_KEY_INDIGESTIBLE"},
    {0x68, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
    {0x69, "CKR_KEY_NOT_WRAPPABLE"},
    {0x6a, "CKR_KEY_UNEXTRACTABLE"},
    {0x70, "CKR_MECHANISM_INVALID"},
    {0x71, "CKR_MECHANISM_PARAM_INVALID"},
    {0x82, "CKR_OBJECT_HANDLE_INVALID"},
    {0x90, "CKR_OPERATION_ACTIVE"},
    {0x91, "CKR_OPERATION_NOT_INITIALIZED"},
    {0xa0, "CKR_PIN_INCORRECT"},
    {0xa1, "CKR_PIN_INVALID"},
    {0xa2, "CKR_PIN_LEN_RANGE"},
    {0xa3, "CKR_PIN_EXPIRED"},
    {0xa4, "CKR_PIN_LOCKED"},
    {0xb0, "CKR_SESSION_CLOSED"},
    {0xb1, "CKR_SESSION_COUNT"},
    {0xb3, "CKR_SESSION_HANDLE_INVALID"},
    {0xb4, "CKR_SESSION_PARALLEL_NOT_SUPPORTED"},
    {0xb5, "CKR_SESSION_READ_ONLY"},
    {0xb6, "CKR_SESSION_EXISTS"},
    {0xb7, "CKR_SESSION_READ_ONLY_EXISTS"},
    {0xb8, "CKR_SESSION_READ_WRITE_SO_EXISTS"},
    {0xc0, "CKR_SIGNATURE_INVALID"},
    {0xc1, "CKR_SIGNATURE_LEN_RANGE"},
    {0xd0, "CKR_TEMPLATE_INCOMPLETE"},
    {0xd1, "CKR_TEMPLATE_INCONSISTENT"},
    {0xe0, "CKR_TOKEN_NOT_PRESENT"},
    {0xe1, "CKR_TOKEN_NOT_RECOGNIZED"},
    {0xe2, "CKR_TOKEN_WRITE_PROTECTED"},
    {0xf0, "CKR_UNWRAPPING_KEY_HANDLE_INVALID"},
    {0xf1, "CKR_UNWRAPPING_KEY_SIZE_RANGE"},
    {0xf2, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT"},
    {0x100, "CKR_USER_ALREADY_LOGGED_IN"},
    {0x101, "CKR_USER_NOT_LOGGED_IN"},
    {0x102, "CKR_USER_PIN_NOT_INITIALIZED"},
    {0x103, "CKR_USER_TYPE_INVALID"},
    {0x104, "CKR_USER_ANOTHER_ALREADY_LOGGED_IN"},
    {0x105, "CKR_USER_TOO_MANY_TYPES"},
    {0x110, "CKR_WRAPPED_KEY_INVALID"},
    {0x112, "CKR_WRAPPED_KEY_LEN_RANGE"},
    {0x113, "CKR_WRAPPING_KEY_HANDLE_INVALID"},
    {0x114, "CKR_WRAPPING_KEY_SIZE_RANGE"},
    {0x115, "CKR_WRAPPING_KEY_TYPE_INCONSISTENT"},
    {0x120, "CKR_RANDOM_SEED_NOT_SUPPORTED"},
    {0x121, "CKR_RANDOM_NO_RNG"},
    {0x130, "CKR_DOMAIN_PARAMS_INVALID"},
    {0x140, "CKR_CURVE_NOT_SUPPORTED"},
    {0x150, "CKR_BUFFER_TOO_SMALL"},
    {0x160, "CKR_SAVED_STATE_INVALID"},
    {0x170, "CKR_INFORMATION_SENSITIVE"},
    {0x180, "CKR_STATE_UNSAVEABLE"},
    {0x190, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    {0x191, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
    {0x1a0, "CKR_MUTEX_BAD"},
    {0x1a1, "CKR_MUTEX_NOT_LOCKED"},
    {0x1b0, "CKR_NEW_PIN_MODE"},
    {0x1b1, "CKR_NEXT_OTP"},
    {0x1b5, "CKR_EXCEEDED_MAX_ITERATIONS"},
    {0x1b6, "CKR_FIPS_SELF_TEST_FAILED"},
    {0x1b7, "CKR_LIBRARY_LOAD_FAILED"},
    {0x1b8, "CKR_PIN_TOO_WEAK"},
    {0x1b9, "CKR_PUBLIC_KEY_INVALID"},
    /* p11-kit's header numbers the five codes above 0x1c0..0x1c4; name those too. */
    {0x1c0, "CKR_EXCEEDED_MAX_ITERATIONS"},
    {0x1c1, "CKR_FIPS_SELF_TEST_FAILED"},
    {0x1c2, "CKR_LIBRARY_LOAD_FAILED"},
    {0x1c3, "CKR_PIN_TOO_WEAK"},
    {0x1c4, "CKR_PUBLIC_KEY_INVALID"},
    {0x200, "CKR_FUNCTION_REJECTED"},
    {0x201, "CKR_TOKEN_RESOURCE_EXCEEDED"},
    {0x202, "CKR_OPERATION_CANCEL_FAILED"},
    {0x203, "CKR_KEY_EXHAUSTED"},
    {0x80000000UL, "CKR_VENDOR_DEFINED"},
};

const char *p11_rv_name(CK_RV rv)
{
    static _Thread_local char unknown[32];
    for (size_t i = 0; i < sizeof(rv_table) / sizeof(rv_table[0]); i++) {
        if (rv_table[i].rv == rv) {
            return rv_table[i].name;
        }
    }
    snprintf(unknown, sizeof(unknown), "CKR_0x%lx", (unsigned long)rv);
    return unknown;
}

bool p11_rv_is_token_lost(CK_RV rv)
{
    switch (rv) {
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_SLOT_ID_INVALID:
    case CKR_CRYPTOKI_NOT_INITIALIZED: return true;
    default: return false;
    }
}

mk_err p11_rv_class(CK_RV rv)
{
    if (rv == CKR_OK) {
        return MK_E_NONE;
    }
    if (p11_rv_is_token_lost(rv)) {
        return MK_E_TOKEN_LOST;
    }
    switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_LOCKED:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_USER_PIN_NOT_INITIALIZED:
    case 0x1b8: /* CKR_PIN_TOO_WEAK (v2.40) */
    case 0x1c3: /* same, p11-kit numbering */ return MK_E_PIN;
    case CKR_SIGNATURE_INVALID:
    case CKR_SIGNATURE_LEN_RANGE:
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
    case 0x35: /* CKR_AEAD_DECRYPT_FAILED */ return MK_E_CRYPTO;
    case CKR_HOST_MEMORY: return MK_E_NOMEM;
    case CKR_ARGUMENTS_BAD:
    case CKR_DATA_INVALID:
    case CKR_DATA_LEN_RANGE:
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_KEY_SIZE_RANGE:
    case CKR_TEMPLATE_INCOMPLETE:
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_ATTRIBUTE_TYPE_INVALID:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_DOMAIN_PARAMS_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_BUFFER_TOO_SMALL: return MK_E_INVALID;
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_ACTION_PROHIBITED:
    case CKR_ATTRIBUTE_SENSITIVE:
    case CKR_TOKEN_WRITE_PROTECTED: return MK_E_PERM;
    default: return MK_E_PKCS11;
    }
}

mk_result p11_rv_raise(const char *file, int line, mk_err code, const char *fn, CK_RV rv)
{
    if (code == MK_E_NONE) {
        code = p11_rv_class(rv);
        if (code == MK_E_NONE) {
            code = MK_E_INTERNAL; /* a caller raised on CKR_OK: still an error */
        }
    }
    return mk_error_set(code, file, line, "%s failed: %s", fn, p11_rv_name(rv));
}
