/*
 * Cryptoki return values: names and the mapping to mirrorkey error classes.
 *
 * Every failing C_ call in pkcs11/ is reported as "C_Sign failed:
 * CKR_KEY_HANDLE_INVALID" (function name, then the CKR_ name), recorded in
 * the thread's mk_result slot with the error class from p11_rv_class().
 * This is the border where CK_RV turns into mk_result (STYLE.md "Errors").
 */
#ifndef P11_RV_H
#define P11_RV_H

#include <stdbool.h>

#include <p11-kit/pkcs11.h>

#include "mk/result.h"

/*
 * "CKR_PIN_INCORRECT" for every return value PKCS#11 v2.40 and v3.0 define.
 * Unknown values (vendor codes included) render as "CKR_0x%lx" in a
 * thread-local buffer that stays valid until the next call on this thread.
 * Never returns NULL.
 */
const char *p11_rv_name(CK_RV rv);

/*
 * The mirrorkey error class of a failing return value:
 *   MK_E_TOKEN_LOST  device removed / token not present / session or slot gone
 *                    (see p11_rv_is_token_lost)
 *   MK_E_PIN         PIN incorrect, locked, expired, invalid, not logged in
 *   MK_E_CRYPTO      bad signature, bad ciphertext or tag
 *   MK_E_NOMEM       CKR_HOST_MEMORY
 *   MK_E_INVALID     bad arguments, data length, mechanism or parameters
 *   MK_E_PKCS11      everything else
 * CKR_OK maps to MK_E_NONE.
 */
mk_err p11_rv_class(CK_RV rv);

/*
 * True for the return values that mean "the token, slot or session went
 * away": CKR_DEVICE_REMOVED, CKR_DEVICE_ERROR, CKR_TOKEN_NOT_PRESENT,
 * CKR_TOKEN_NOT_RECOGNIZED, CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED,
 * CKR_SLOT_ID_INVALID, CKR_CRYPTOKI_NOT_INITIALIZED. (CKR_OBJECT_HANDLE_INVALID
 * and CKR_KEY_HANDLE_INVALID are stale-handle conditions handled by the
 * caller, which decides whether a reset happened.)
 */
bool p11_rv_is_token_lost(CK_RV rv);

/*
 * Record "<fn> failed: <CKR name>" for this thread with class p11_rv_class(rv)
 * (or `code` when it is not MK_E_NONE) and return MK_ERR. Used through
 * P11_FAIL so that file and line point at the failing call.
 */
mk_result p11_rv_raise(const char *file, int line, mk_err code, const char *fn, CK_RV rv);

#define P11_FAIL(fn, rv) p11_rv_raise(__FILE__, __LINE__, MK_E_NONE, (fn), (rv))
#define P11_FAIL_AS(code, fn, rv) p11_rv_raise(__FILE__, __LINE__, (code), (fn), (rv))

#endif
