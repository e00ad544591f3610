/*
 * OpenSSL at mirrorkey's borders: turning OpenSSL's error queue into the
 * mk_result idiom, and loading a private key by URI (a pkcs11: URI served by
 * the mirrorkey provider) through OSSL_STORE. Shared by the server's TLS
 * transport and its certificate builder so that neither writes them again.
 */
#ifndef MK_OSSL_H
#define MK_OSSL_H

#include <openssl/types.h>

#include "mk/result.h"

/*
 * Record "<what>: <OpenSSL's first queued reason>" — plus " (then: <the
 * last>)" when the queue holds more than one — with the given code, clear
 * OpenSSL's error queue, and return MK_ERR. Use through MK_OSSL_FAIL.
 */
mk_result mk_ossl_fail(mk_err code, const char *file, int line, const char *what);
#define MK_OSSL_FAIL(code, what) mk_ossl_fail((code), __FILE__, __LINE__, (what))

/*
 * The first private key the URI yields through OSSL_STORE in libctx (for a
 * pkcs11: URI, the mirrorkey provider's reference to a token key: no key
 * material is in memory). *out gets one reference (EVP_PKEY_free). Errors:
 * MK_E_NOT_FOUND (URI cannot be opened, or names no private key), with
 * OpenSSL's reason. The URI is not put in the message (it may carry a
 * pin-value).
 */
MK_RESULT mk_ossl_load_private_key(OSSL_LIB_CTX *libctx, const char *uri, EVP_PKEY **out);

#endif
