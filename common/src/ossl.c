/*
 * OpenSSL error translation and private-key loading by URI (see mk/ossl.h).
 */
#include "mk/ossl.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/store.h>

/*
 * Both ends of the queue: the first error is usually the cause (a provider's
 * "token unavailable"), the last what the caller saw ("internal error").
 */
mk_result mk_ossl_fail(mk_err code, const char *file, int line, const char *what)
{
    char first[256] = "no detail";
    char last[256] = "";
    unsigned long e1 = ERR_peek_error();
    unsigned long e2 = ERR_peek_last_error();
    if (e1 != 0) {
        ERR_error_string_n(e1, first, sizeof(first));
    }
    if (e2 != 0 && e2 != e1) {
        ERR_error_string_n(e2, last, sizeof(last));
    }
    ERR_clear_error();
    if (last[0] != '\0') {
        return mk_error_set(code, file, line, "%s: %s (then: %s)", what, first, last);
    }
    return mk_error_set(code, file, line, "%s: %s", what, first);
}

MK_RESULT mk_ossl_load_private_key(OSSL_LIB_CTX *libctx, const char *uri, EVP_PKEY **out)
{
    OSSL_STORE_CTX *store = OSSL_STORE_open_ex(uri, libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    if (store == NULL) {
        return MK_OSSL_FAIL(MK_E_NOT_FOUND, "opening the key URI");
    }
    EVP_PKEY *key = NULL;
    (void)OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
    while (key == NULL && !OSSL_STORE_eof(store)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(store);
        if (info == NULL) {
            break;
        }
        if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
            key = OSSL_STORE_INFO_get1_PKEY(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(store);
    if (key == NULL) {
        return MK_OSSL_FAIL(MK_E_NOT_FOUND, "no private key at the key URI");
    }
    *out = key;
    return MK_OK;
}
