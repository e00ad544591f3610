/*
 * Thread-local storage for the last error of the mk_result idiom. One slot per
 * thread: a code, a bounded message and the file:line that raised it.
 */
#include "mk/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MK_ERROR_MSG_MAX 512

static _Thread_local struct {
    mk_err code;
    const char *file;
    int line;
    char msg[MK_ERROR_MSG_MAX];
} tls_error;

const char *mk_err_name(mk_err code)
{
    switch (code) {
    case MK_E_NONE: return "no error";
    case MK_E_NOMEM: return "out of memory";
    case MK_E_BOUNDS: return "read or write out of bounds";
    case MK_E_INVALID: return "invalid input";
    case MK_E_TOOBIG: return "input too large";
    case MK_E_IO: return "I/O error";
    case MK_E_NOT_FOUND: return "not found";
    case MK_E_AMBIGUOUS: return "more than one match";
    case MK_E_EXISTS: return "already exists";
    case MK_E_PKCS11: return "PKCS#11 call failed";
    case MK_E_TOKEN_LOST: return "token unavailable";
    case MK_E_PIN: return "PIN unavailable or rejected";
    case MK_E_POLICY: return "security policy violated";
    case MK_E_CRYPTO: return "cryptographic check failed";
    case MK_E_PERM: return "permission denied";
    case MK_E_STATE: return "invalid state";
    case MK_E_INTERNAL: return "internal error";
    }
    return "unknown error";
}

mk_result mk_error_set(mk_err code, const char *file, int line, const char *fmt, ...)
{
    tls_error.code = code;
    tls_error.file = file;
    tls_error.line = line;
    if (fmt == NULL) {
        snprintf(tls_error.msg, sizeof(tls_error.msg), "%s", mk_err_name(code));
    } else {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tls_error.msg, sizeof(tls_error.msg), fmt, ap);
        va_end(ap);
    }
    return MK_ERR;
}

void mk_error_context(const char *fmt, ...)
{
    char prefix[MK_ERROR_MSG_MAX];
    char old[MK_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, tls_error.msg, sizeof(old));
    /* Truncation is acceptable: messages are bounded by design. */
    int n = snprintf(tls_error.msg, sizeof(tls_error.msg), "%.200s: ", prefix);
    if (n > 0 && (size_t)n < sizeof(tls_error.msg)) {
        snprintf(tls_error.msg + n, sizeof(tls_error.msg) - (size_t)n, "%.300s", old);
    }
}

mk_err mk_error_code(void) { return tls_error.code; }
const char *mk_error_message(void) { return tls_error.code == MK_E_NONE ? "" : tls_error.msg; }
const char *mk_error_file(void) { return tls_error.file != NULL ? tls_error.file : ""; }
int mk_error_line(void) { return tls_error.line; }

void mk_error_clear(void)
{
    tls_error.code = MK_E_NONE;
    tls_error.file = NULL;
    tls_error.line = 0;
    tls_error.msg[0] = '\0';
}
