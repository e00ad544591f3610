/*
 * Self-signed X.509 v3 certificates for keys that live on the token
 * (DESIGN.md "Key hierarchy": CREATE CERTIFICATE, the instance TLS identity).
 *
 * The public key written into the certificate is rebuilt in software from
 * the token's public components (RSA n/e, EC params/point); the signature is
 * made on the token through the mirrorkey OpenSSL provider, by pkcs11: URI.
 * SHA-256; RSA keys sign PKCS#1 v1.5 (sha256WithRSAEncryption, what SQL
 * Server produces), EC keys ECDSA. The serial number is 16 bytes from the
 * token RNG with the top bit cleared (positive, RFC 5280 §4.1.2.2).
 */
#ifndef KEYS_CERTGEN_H
#define KEYS_CERTGEN_H

#include <stdint.h>

#include <openssl/types.h>

#include "mk/buf.h"
#include "mk/result.h"
#include "p11/key.h"

typedef struct keys_cert_params {
    const char *subject_cn; /* CN of subject and issuer, 1..64 characters (UTF-8) */
    int64_t not_before_ms;  /* validity, milliseconds since the epoch, UTC */
    int64_t not_after_ms;
} keys_cert_params;

/*
 * Build and sign the certificate for `key` and append its DER to der_out.
 * libctx must have the default and mirrorkey providers; key_uri names the
 * same key for the provider (with module-path and pin-source as needed).
 * Errors: MK_E_INVALID (subject, validity), MK_E_CRYPTO (signing failed,
 * with OpenSSL's reason), errors of the token layer.
 */
MK_RESULT keys_cert_build(OSSL_LIB_CTX *libctx, p11_key *key, const char *key_uri,
                          const keys_cert_params *params, mk_buf *der_out);

/*
 * The software public key of a token key (default provider), for checks
 * that a certificate carries the token's key. Caller frees with EVP_PKEY_free.
 */
MK_RESULT keys_public_pkey(OSSL_LIB_CTX *libctx, const p11_key *key, EVP_PKEY **out);

#endif
